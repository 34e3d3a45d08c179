// text/decoder on a device; Node's TextDecoder has the same fatal/ignoreBOM semantics.
export default globalThis.TextDecoder;

// WebSocketClient here has send(); a device bundle that only writes in place imports ./client's.
export { type WebSocketClientOptions } from "./client";
export { WebSocketClientWithSend as WebSocketClient, send } from "./send";
export { CloseCode, WebSocketError, type WebSocketErrorKind } from "./error";

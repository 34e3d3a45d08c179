export { WebSocketClient, type WebSocketClientOptions } from "./client";
export { CloseCode, WebSocketError, type WebSocketErrorKind } from "./error";

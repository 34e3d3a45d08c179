// The interop suite with the Node HAL, client straight to the server.
import { createNodeHal } from "../../hal/node/index";
import { registerInteropSuite } from "./interop";
import { halClients } from "./session";

registerInteropSuite("WebSocket client (Node HAL) vs ws", halClients(() => createNodeHal({ logLevel: "error" })));

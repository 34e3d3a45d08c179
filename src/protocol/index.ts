/* The AlwaysOn codec (docs/protocol.md): the public API. */
export type * from "./model";
export { Code, codeName, EntityType, Characteristic, isRequestCode, isResponseCode } from "./codes";
export { BaseType, baseTypeName, baseTypeCode, DEFAULT_OPTIONS, type CodecOptions } from "./basetypes";
export { DecodeError, EncodeError } from "./errors";
export { utf8Length, utf8Write, utf8Read } from "./utf8";
export { ByteWriter } from "./writer";
export { ByteReader } from "./reader";
export { encodeTypedValue, decodeTypedValue, encodeInfoTable, decodeInfoTable } from "./values";
export { HEADER_SIZE, messageKind, encodeMessage, encodeMessageToBytes, writeMessage, writeEdgeMessage, decodeMessage, decodeReply } from "./messages";
export { MULTIPART_HEADER_SIZE, chunkCount, encodeChunk, Reassembler, type ReassemblerOptions } from "./multipart";
export { RequestHead, readRequestHead, bytesEqual } from "./head";
export { encodeName, writeVtqRow, PushWriter } from "./push";
export { ParamsReader, nameEquals, nameText } from "./params";

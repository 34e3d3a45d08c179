/*
 * The part of the codec the device runtime (src/client, src/thing, src/ws, src/apps, src/drivers)
 * imports from the public index: what a device bundle carries of it. Only a size measure
 * (`npm run size`, entry "codec-device"); device code keeps importing from the index.
 * test/protocol/device.test.ts checks that every name the device code imports is listed here.
 */
export {
	BaseType, baseTypeCode, baseTypeName, ByteReader, ByteWriter, bytesEqual, Characteristic, chunkCount, Code, codeName,
	DecodeError, decodeReply, decodeTypedValue, EncodeError, encodeChunk, encodeInfoTable, encodeName, encodeTypedValue,
	EntityType, HEADER_SIZE, isRequestCode, MULTIPART_HEADER_SIZE, nameEquals, nameText, ParamsReader, PushWriter, readRequestHead,
	Reassembler, RequestHead,
	utf8Length, utf8Read, writeEdgeMessage, writeVtqRow,
} from "./index";

/** Browser-safe I/O: safetensors encoding and decoding of byte arrays. File access lives in `attn/node`. */
export {
  parseSafetensors,
  serializeSafetensors,
  readSafetensorsHeader,
  SAFETENSORS_MAX_HEADER_BYTES,
  SAFETENSORS_MAX_TENSORS,
  type NamedTensors,
  type SafetensorsContents,
  type SafetensorsDType,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors.js';

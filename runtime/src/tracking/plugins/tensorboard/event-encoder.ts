import { maskedCrc32c } from "./crc32c";

/**
 * Encodes TensorFlow `Event` protos (tensorflow/core/util/event.proto, summary.proto,
 * tensor.proto) straight into TFRecord frames:
 *
 *   uint64 length (LE) | uint32 masked_crc32c(length) | bytes data | uint32 masked_crc32c(data)
 *
 * Only the fields this tracker writes are encoded; field numbers are the public ones:
 *   Event: wall_time=1 (double), step=2 (int64), file_version=3 (string), summary=5
 *   Summary: value=1 (repeated Value)
 *   Summary.Value: tag=1, simple_value=2 (float), tensor=8 (TensorProto), metadata=9
 *   SummaryMetadata: plugin_data=1 { plugin_name=1, content=2 }
 *   TensorProto: dtype=1 (DT_STRING=7), tensor_shape=2 { dim=2 { size=1 } }, string_val=8
 *
 * Writing into one growing buffer, with message lengths known up front, keeps the per-point
 * cost to a few dozen byte stores and one CRC over ~40 bytes.
 */
export class RecordBuffer {
  private buf: Buffer;
  private pos = 0;

  constructor(initial = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.pos;
  }

  /** The encoded records so far (a view; copy before reusing the buffer). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }

  clear(): void {
    this.pos = 0;
  }

  /** `Event { wall_time, file_version }`: TensorBoard expects it first in every file. */
  fileVersion(wallTime: number, version = "brain.Event:2"): void {
    const v = Buffer.from(version, "utf8");
    const len = 9 + 1 + varintSize(v.length) + v.length;
    const start = this.beginRecord(len);
    this.double(1, wallTime);
    this.bytesField(3, v);
    this.endRecord(start, len);
  }

  /** `Event { wall_time, step, summary { value { tag, simple_value } } }`. */
  scalar(wallTime: number, step: number, tag: Buffer, value: number): void {
    const valueLen = 1 + varintSize(tag.length) + tag.length + 5;
    const { start, len } = this.beginSummaryValue(wallTime, step, tag, valueLen);
    this.key(2, 5);
    this.buf.writeFloatLE(value, this.pos);
    this.pos += 4;
    this.endRecord(start, len);
  }

  /**
   * A text summary, as the TensorBoard text plugin reads it: a DT_STRING tensor of shape [1]
   * with metadata `plugin_data { plugin_name: "text" }` (TextPluginData at version 0 encodes
   * to empty content).
   */
  text(wallTime: number, step: number, tag: Buffer, text: string): void {
    const t = Buffer.from(text, "utf8");
    const plugin = Buffer.from("text", "utf8");
    const pluginDataLen = 1 + varintSize(plugin.length) + plugin.length;
    const metadataLen = 1 + varintSize(pluginDataLen) + pluginDataLen;
    const dimLen = 1 + varintSize(1);
    const shapeLen = 1 + varintSize(dimLen) + dimLen;
    const tensorLen = 2 + (1 + varintSize(shapeLen) + shapeLen) + (1 + varintSize(t.length) + t.length);
    const valueLen =
      1 +
      varintSize(tag.length) +
      tag.length +
      (1 + varintSize(metadataLen) + metadataLen) +
      (1 + varintSize(tensorLen) + tensorLen);
    const { start, len } = this.beginSummaryValue(wallTime, step, tag, valueLen);
    this.key(9, 2); // metadata
    this.varint(metadataLen);
    this.key(1, 2); // plugin_data
    this.varint(pluginDataLen);
    this.bytesField(1, plugin);
    this.key(8, 2); // tensor
    this.varint(tensorLen);
    this.key(1, 0); // dtype
    this.varint(7); // DT_STRING
    this.key(2, 2); // tensor_shape
    this.varint(shapeLen);
    this.key(2, 2); // dim
    this.varint(dimLen);
    this.key(1, 0); // size
    this.varint(1);
    this.bytesField(8, t); // string_val
    this.endRecord(start, len);
  }

  /**
   * `Event { wall_time, step, summary { value { tag, <body> } } }` with the rest of the value
   * already encoded (metadata and tensor fields): the HParams plugin's summaries.
   */
  encodedValue(wallTime: number, step: number, tag: Buffer, body: Buffer): void {
    const valueLen = 1 + varintSize(tag.length) + tag.length + body.length;
    const { start, len } = this.beginSummaryValue(wallTime, step, tag, valueLen);
    body.copy(this.buf, this.pos);
    this.pos += body.length;
    this.endRecord(start, len);
  }

  /**
   * Opens a record holding `Event { wall_time, step, summary { value { tag, ... } } }` and
   * writes everything up to the value's tag; the caller writes the rest of the value
   * (`valueLen` bytes in all, tag included) and ends the record.
   */
  private beginSummaryValue(
    wallTime: number,
    step: number,
    tag: Buffer,
    valueLen: number,
  ): { start: number; len: number } {
    const summaryLen = 1 + varintSize(valueLen) + valueLen;
    const len = 9 + stepSize(step) + 1 + varintSize(summaryLen) + summaryLen;
    const start = this.beginRecord(len);
    this.double(1, wallTime);
    this.step(step);
    this.key(5, 2); // summary
    this.varint(summaryLen);
    this.key(1, 2); // value
    this.varint(valueLen);
    this.bytesField(1, tag);
    return { start, len };
  }

  // ---- framing ---------------------------------------------------------------------------

  private beginRecord(dataLen: number): number {
    this.ensure(dataLen + 16);
    const start = this.pos;
    this.buf.writeUInt32LE(dataLen >>> 0, start);
    this.buf.writeUInt32LE(Math.floor(dataLen / 0x100000000), start + 4);
    this.buf.writeUInt32LE(maskedCrc32c(this.buf, start, start + 8), start + 8);
    this.pos = start + 12;
    return start;
  }

  private endRecord(start: number, dataLen: number): void {
    const dataStart = start + 12;
    if (this.pos - dataStart !== dataLen) {
      throw new Error(`event encoder: length mismatch (${this.pos - dataStart} written, ${dataLen} announced)`);
    }
    this.buf.writeUInt32LE(maskedCrc32c(this.buf, dataStart, this.pos), this.pos);
    this.pos += 4;
  }

  private ensure(extra: number): void {
    if (this.pos + extra <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + extra));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  // ---- protobuf wire format --------------------------------------------------------------

  private key(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  private double(field: number, value: number): void {
    this.key(field, 1);
    this.buf.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }

  private step(step: number): void {
    if (step === 0) return; // proto3 default: omitted, as TensorFlow does
    this.key(2, 0);
    if (step > 0) this.varint(step);
    else this.negativeVarint(step);
  }

  private bytesField(field: number, bytes: Buffer): void {
    this.key(field, 2);
    this.varint(bytes.length);
    bytes.copy(this.buf, this.pos);
    this.pos += bytes.length;
  }

  /** Non-negative integers up to 2^53. */
  private varint(value: number): void {
    const buf = this.buf;
    while (value >= 0x80) {
      buf[this.pos++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    buf[this.pos++] = value;
  }

  /** int64 below zero: two's complement, always 10 bytes. */
  private negativeVarint(value: number): void {
    let v = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 9; i++) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
  }
}

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

function stepSize(step: number): number {
  if (step === 0) return 0;
  return 1 + (step > 0 ? varintSize(step) : 10);
}

import { RunStatus } from "../../../common/enums";

/**
 * The summaries TensorBoard's HParams dashboard reads (tensorboard/plugins/hparams/
 * plugin_data.proto, api.proto): one `_hparams_/session_start_info` and one
 * `_hparams_/session_end_info` in each session's run folder (a trial run), and one
 * `_hparams_/experiment` in the experiment's folder listing every hparam and metric.
 * Each is a Summary.Value whose metadata is `plugin_data { plugin_name: "hparams", content:
 * <HParamsPluginData> }` with TensorBoard's null tensor (a float tensor of shape [0]), as
 * tensorboard.plugins.hparams.summary writes them.
 *
 * These are written a handful of times per run, so they are built with a small generic proto
 * writer here rather than the byte-counting fast path of the scalar encoder.
 */

export const HPARAMS_TAGS = {
  experiment: "_hparams_/experiment",
  sessionStart: "_hparams_/session_start_info",
  sessionEnd: "_hparams_/session_end_info",
} as const;

/** A hparam value as google.protobuf.Value holds it. */
export type HParamValue = number | string | boolean;

/** api.proto `Status`. */
const SessionStatus = { UNKNOWN: 0, SUCCESS: 1, FAILURE: 2, RUNNING: 3 } as const;
/** api.proto `DataType`. */
const DataType = { STRING: 1, BOOL: 2, FLOAT64: 3 } as const;
/** More distinct numbers than this are shown as an interval, not as a checklist. */
const MAX_DISCRETE_NUMBERS = 20;

/**
 * Our run status in TensorBoard's four: early stopping and normal ends are SUCCESS; a failed or
 * aborted run is FAILURE (its exact status stays in the `trial_run/status` text); a skipped one
 * UNKNOWN.
 */
export function sessionStatusOf(status: RunStatus | undefined): number {
  switch (status) {
    case RunStatus.SUCCESS:
    case RunStatus.FINISHED:
    case RunStatus.STOPPED:
      return SessionStatus.SUCCESS;
    case RunStatus.FAILED:
    case RunStatus.ABORTED:
      return SessionStatus.FAILURE;
    case RunStatus.RUNNING:
      return SessionStatus.RUNNING;
    default:
      return SessionStatus.UNKNOWN;
  }
}

/** Params as hparams: numbers, strings and booleans as they are, anything else as JSON text. */
export function hparamValue(value: unknown): HParamValue {
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "bigint") return Number(value);
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** `Summary.Value` fields after the tag: metadata (field 9) and the null tensor (field 8). */
export function hparamsValueBody(pluginContent: Buffer): Buffer {
  const pluginData = new Proto().string(1, "hparams").bytes(2, pluginContent).done();
  const metadata = new Proto().bytes(1, pluginData).done();
  // TensorProto { dtype: DT_FLOAT, tensor_shape { dim { size: 0 } } }: metadata.NULL_TENSOR.
  const nullTensor = new Proto()
    .varint(1, 1)
    .bytes(2, new Proto().bytes(2, Buffer.alloc(0)).done())
    .done();
  return new Proto().bytes(9, metadata).bytes(8, nullTensor).done();
}

export function sessionStartContent(
  hparams: Record<string, HParamValue>,
  groupName: string,
  startSecs: number,
): Buffer {
  const info = new Proto();
  for (const [key, value] of Object.entries(hparams)) {
    info.bytes(1, new Proto().string(1, key).bytes(2, protoValue(value)).done());
  }
  info.string(4, groupName).double(5, startSecs);
  return pluginData(3, info.done());
}

export function sessionEndContent(status: RunStatus | undefined, endSecs: number): Buffer {
  return pluginData(4, new Proto().varint(1, sessionStatusOf(status)).double(2, endSecs).done());
}

/**
 * The experiment: every hparam with its type and the values seen (a checklist, or an interval
 * for many distinct numbers), and every metric tag the sessions logged.
 */
export function experimentContent(options: {
  name: string;
  description?: string;
  createdSecs: number;
  hparams: Map<string, HParamValue[]>;
  metrics: Iterable<string>;
}): Buffer {
  const exp = new Proto().string(1, options.description ?? "").double(3, options.createdSecs);
  for (const [name, values] of [...options.hparams].sort(([a], [b]) => a.localeCompare(b))) {
    exp.bytes(4, hparamInfo(name, values));
  }
  for (const tag of [...new Set(options.metrics)].sort()) {
    const metricName = new Proto().string(1, "").string(2, tag).done();
    exp.bytes(5, new Proto().bytes(1, metricName).string(3, tag).done());
  }
  exp.string(6, options.name);
  return pluginData(2, exp.done());
}

function hparamInfo(name: string, values: HParamValue[]): Buffer {
  const distinct = [...new Set(values)];
  const info = new Proto().string(1, name).string(2, name);
  // `differs`: the dashboard shows the hparams that vary between sessions first.
  if (distinct.length > 1) info.varint(7, 1);
  if (distinct.every((v) => typeof v === "number")) {
    const numbers = (distinct as number[]).sort((a, b) => a - b);
    info.varint(4, DataType.FLOAT64);
    if (numbers.length > MAX_DISCRETE_NUMBERS) {
      info.bytes(
        6,
        new Proto()
          .double(1, numbers[0])
          .double(2, numbers[numbers.length - 1])
          .done(),
      );
      return info.done();
    }
    info.bytes(5, listValue(numbers));
  } else if (distinct.every((v) => typeof v === "boolean")) {
    info.varint(4, DataType.BOOL).bytes(5, listValue(distinct));
  } else {
    // Mixed types: TensorBoard compares them as text.
    info.varint(4, DataType.STRING).bytes(5, listValue(distinct.map(String).sort()));
  }
  return info.done();
}

function listValue(values: HParamValue[]): Buffer {
  const list = new Proto();
  for (const v of values) list.bytes(1, protoValue(v));
  return list.done();
}

/** google.protobuf.Value: number_value=2, string_value=3, bool_value=4. */
function protoValue(value: HParamValue): Buffer {
  if (typeof value === "number") return new Proto().double(2, value).done();
  if (typeof value === "boolean") return new Proto().varint(4, value ? 1 : 0, true).done();
  return new Proto().string(3, value, true).done();
}

/** HParamsPluginData { version: 0, <one of experiment=2, session_start_info=3, session_end_info=4> }. */
function pluginData(field: number, message: Buffer): Buffer {
  return new Proto().bytes(field, message).done();
}

/** Just enough of the protobuf wire format to build small messages. */
class Proto {
  private readonly parts: Buffer[] = [];

  varint(field: number, value: number, always = false): this {
    if (value === 0 && !always) return this;
    this.parts.push(Buffer.from([...encodeVarint((field << 3) | 0), ...encodeVarint(value)]));
    return this;
  }

  double(field: number, value: number): this {
    const b = Buffer.alloc(9);
    b[0] = (field << 3) | 1;
    b.writeDoubleLE(value, 1);
    this.parts.push(b);
    return this;
  }

  /** Empty strings are proto3 defaults and left out, unless `always` (a oneof member). */
  string(field: number, value: string, always = false): this {
    if (value === "" && !always) return this;
    return this.bytes(field, Buffer.from(value, "utf8"));
  }

  bytes(field: number, value: Buffer): this {
    this.parts.push(Buffer.from([...encodeVarint((field << 3) | 2), ...encodeVarint(value.length)]), value);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function encodeVarint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
  return out;
}

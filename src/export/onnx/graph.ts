/**
 * A small builder of ONNX graphs: initializers from attn tensors, nodes with typed attributes, inputs and
 * outputs with symbolic dimensions ("batch", "source_length", ...), and the model around them (IR version,
 * opset, metadata), encoded with protobufjs against the schema in schema.ts.
 *
 * Every value has one name. Nodes get fresh output names (`MatMul_12`) unless given some; graph outputs are
 * values renamed by an Identity node when their producer named them otherwise. Initializers keep the names
 * given: the exporters give attn's state-dict names, so that a reader of the graph finds `enc.weight_ih_l0`
 * where attn's checkpoint has it.
 */
import { VERSION } from '../../version.js';
import type { Tensor } from '../../tensor/tensor.js';
import {
  AttributeType,
  DataType,
  encodeModel,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  type DataTypeCode,
} from './schema.js';

/** A dimension: a fixed size, or a symbolic name shared by the inputs and outputs that have it. */
export type Dim = number | string;

/** A float attribute (a bare number is an integer attribute). */
export interface FloatAttr {
  float: number;
}

export type AttrValue = number | number[] | string | FloatAttr | { floats: number[] };

export const float = (value: number): FloatAttr => ({ float: value });

interface ValueInfo {
  name: string;
  type: {
    tensor_type: { elem_type: number; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } };
  };
  doc_string?: string;
}

function valueInfo(name: string, type: DataTypeCode, dims: readonly Dim[], doc?: string): ValueInfo {
  const dim = dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return {
    name,
    type: { tensor_type: { elem_type: type, shape: { dim } } },
    ...(doc ? { doc_string: doc } : {}),
  };
}

function attribute(name: string, value: AttrValue): Record<string, unknown> {
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      throw new Error(`ONNX attribute ${name}: ${value} is not an integer; use float()`);
    return { name, type: AttributeType.INT, i: value };
  }
  if (typeof value === 'string')
    return { name, type: AttributeType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.INTS, ints: value };
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.FLOATS, floats: value.floats };
}

export class OnnxGraph {
  private readonly nodes: Record<string, unknown>[] = [];
  private readonly initializers: Record<string, unknown>[] = [];
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly names = new Set<string>();
  private counter = 0;

  constructor(readonly name: string) {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`ONNX graph ${this.name}: the name ${name} is used twice`);
    this.names.add(name);
    return name;
  }

  private fresh(op: string): string {
    let name: string;
    do name = `${op}_${this.counter++}`;
    while (this.names.has(name));
    return this.claim(name);
  }

  /** A graph input. */
  input(name: string, type: DataTypeCode, dims: readonly Dim[], doc?: string): string {
    this.inputs.push(valueInfo(this.claim(name), type, dims, doc));
    return name;
  }

  /** Makes `value` a graph output called `name` (through an Identity node when its name differs). */
  output(name: string, value: string, type: DataTypeCode, dims: readonly Dim[], doc?: string): void {
    if (value !== name) this.node('Identity', [value], {}, [name]);
    this.outputs.push(valueInfo(name, type, dims, doc));
  }

  /** An initializer holding `tensor`'s values (float32, int32 or bool as stored; int64 from int32). */
  initializer(name: string, tensor: Tensor, type?: DataTypeCode): string {
    const want =
      type ??
      (tensor.dtype === 'int32' ? DataType.INT32 : tensor.dtype === 'bool' ? DataType.BOOL : DataType.FLOAT);
    let bytes: Uint8Array;
    if (want === DataType.INT64)
      bytes = new Uint8Array(BigInt64Array.from(tensor.data, (v) => BigInt(v)).buffer);
    else if (want === DataType.BOOL) bytes = Uint8Array.from(tensor.data, (v) => (v ? 1 : 0));
    else if (want === DataType.INT32) bytes = new Uint8Array(Int32Array.from(tensor.data).buffer);
    else bytes = new Uint8Array(Float32Array.from(tensor.data).buffer);
    return this.rawInitializer(name, want, tensor.shape, bytes);
  }

  /** A float32 constant (an initializer with a fresh name unless one is given). */
  floats(values: ArrayLike<number>, dims: readonly number[], name?: string): string {
    const bytes = new Uint8Array(Float32Array.from(values).buffer);
    return this.rawInitializer(name ?? null, DataType.FLOAT, dims, bytes);
  }

  /** An int64 constant (shapes, axes, indices). */
  ints(values: readonly number[], dims: readonly number[] = [values.length], name?: string): string {
    const bytes = new Uint8Array(BigInt64Array.from(values, (v) => BigInt(v)).buffer);
    return this.rawInitializer(name ?? null, DataType.INT64, dims, bytes);
  }

  private rawInitializer(
    name: string | null,
    type: DataTypeCode,
    dims: readonly number[],
    bytes: Uint8Array,
  ): string {
    const n = name === null ? this.fresh('const') : this.claim(name);
    // raw_data is little-endian, as the typed arrays are on every platform Node runs on.
    this.initializers.push({ name: n, data_type: type, dims: [...dims], raw_data: bytes });
    return n;
  }

  /** A node of `op`: its outputs' names (fresh ones unless `outputs` gives names, or a count). */
  node(
    op: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    outputs: readonly string[] | number = 1,
  ): string[] {
    const names =
      typeof outputs === 'number'
        ? Array.from({ length: outputs }, () => this.fresh(op))
        : outputs.map((o) => (o === '' ? '' : this.claim(o)));
    this.nodes.push({
      op_type: op,
      name: `${op}_node_${this.nodes.length}`,
      input: [...inputs],
      output: names,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return names;
  }

  /** A node with one output: its name. */
  op(op: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, output?: string): string {
    return this.node(op, inputs, attrs, output === undefined ? 1 : [output])[0]!;
  }

  /** The dims of every graph input and output, by name (symbolic names for dynamic axes). */
  signature(): { inputs: Record<string, Dim[]>; outputs: Record<string, Dim[]> } {
    const dims = (v: ValueInfo): Dim[] =>
      v.type.tensor_type.shape.dim.map((d) => ('dim_value' in d ? d.dim_value : d.dim_param));
    return {
      inputs: Object.fromEntries(this.inputs.map((v) => [v.name, dims(v)])),
      outputs: Object.fromEntries(this.outputs.map((v) => [v.name, dims(v)])),
    };
  }

  /** The model's bytes: this graph, opset ONNX_OPSET, IR version ONNX_IR_VERSION, attn as producer. */
  encode(doc: string, metadata: Record<string, string> = {}): Uint8Array {
    return encodeModel({
      ir_version: ONNX_IR_VERSION,
      opset_import: [{ domain: '', version: ONNX_OPSET }],
      producer_name: 'attn',
      producer_version: VERSION,
      doc_string: doc,
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    });
  }
}

import { closeSync, openSync, writeSync, writeFileSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

// onnx-proto is CommonJS: its namespace object is the default export under ESM.
const { onnx } = onnxProto;

type AttrValue = number | number[] | string | { float: number };

const { DataType } = onnx.TensorProto;
export type ElemType = 'float32' | 'float16' | 'int64' | 'bool' | 'uint8' | 'int32';
const ELEM: Record<ElemType, number> = {
  float32: DataType.FLOAT,
  float16: DataType.FLOAT16,
  int64: DataType.INT64,
  bool: DataType.BOOL,
  uint8: DataType.UINT8,
  int32: DataType.INT32,
};
const ELEM_BYTES: Record<ElemType, number> = { float32: 4, float16: 2, int64: 8, bool: 1, uint8: 1, int32: 4 };

/** Large tensors start on a page boundary so ORT can memory-map them. */
const PAGE = 4096;

/** Appends initializer data to one external-data file, tensor by tensor, chunk by chunk. */
export class ExternalDataFile {
  private fd: number;
  private offset = 0;
  constructor(
    readonly path: string,
    readonly location: string,
  ) {
    this.fd = openSync(path, 'w');
  }
  /** Starts a tensor; returns its offset. */
  begin(byteLength: number): number {
    const align = byteLength >= PAGE ? PAGE : 64;
    const pad = (align - (this.offset % align)) % align;
    if (pad) this.write(new Uint8Array(pad));
    return this.offset;
  }
  write(bytes: Uint8Array): void {
    let done = 0;
    while (done < bytes.byteLength) done += writeSync(this.fd, bytes, done, bytes.byteLength - done);
    this.offset += bytes.byteLength;
  }
  get size(): number {
    return this.offset;
  }
  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Builds an ONNX graph op by op. Every helper returns the name of the value it produced, so the
 * model code reads like the forward pass it encodes.
 */
export class GraphBuilder {
  private nodes: OnnxTypes.INodeProto[] = [];
  private initializers: OnnxTypes.ITensorProto[] = [];
  private inputs: OnnxTypes.IValueInfoProto[] = [];
  private outputs: OnnxTypes.IValueInfoProto[] = [];
  private counter = 0;
  private scopes: string[] = [];
  readonly opsUsed = new Set<string>();

  constructor(private readonly external: ExternalDataFile) {}

  private fresh(hint: string): string {
    return `${hint}_${this.counter++}`;
  }

  /**
   * Runs `build` with `name` appended to the node-name scope, so nodes read like
   * `/model/layers.3/attn/qkv_proj/MatMulNBits_41` in a profile or a graph viewer.
   */
  scope<T>(name: string, build: () => T): T {
    this.scopes.push(name);
    try {
      return build();
    } finally {
      this.scopes.pop();
    }
  }

  /** `name` qualified by the current scope with dots, for initializers: `layers.3.attn.qkv_proj`. */
  qualified(name: string): string {
    return [...this.scopes, name].join('.');
  }

  private nodeName(opType: string): string {
    return `/${[...this.scopes, `${opType}_${this.counter++}`].join('/')}`;
  }

  input(name: string, type: ElemType, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, type: ElemType, dims: (number | string)[]): void {
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Adds a node; returns its output names. */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    opts: { outputs?: string[] | number; domain?: string; name?: string } = {},
  ): string[] {
    const outs = Array.isArray(opts.outputs)
      ? opts.outputs
      : Array.from({ length: opts.outputs ?? 1 }, () => this.fresh(opType.toLowerCase()));
    this.opsUsed.add(opts.domain ? `${opts.domain}.${opType}` : opType);
    this.nodes.push({
      opType,
      domain: opts.domain ?? '',
      name: opts.name ?? this.nodeName(opType),
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([name, v]) => attribute(name, v)),
    });
    return outs;
  }

  /** Single-output convenience for `op`. */
  op1(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    opts: { output?: string; domain?: string } = {},
  ): string {
    return this.op(opType, inputs, attrs, { outputs: opts.output ? [opts.output] : 1, domain: opts.domain })[0];
  }

  /** A small constant stored inside the graph. */
  constant(type: 'int64' | 'float32', values: number[], dims: number[] = [values.length], name?: string): string {
    const n = name ?? this.fresh('const');
    const raw =
      type === 'int64'
        ? new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer)
        : new Uint8Array(Float32Array.from(values).buffer);
    this.initializers.push({ name: n, dataType: ELEM[type], dims, rawData: raw });
    return n;
  }

  /**
   * A weight streamed to the external data file. `produce` is called with a writer and must emit
   * exactly the tensor's bytes, in as many chunks as it likes, so large weights never sit in
   * memory twice.
   */
  externalWeight(
    name: string,
    type: ElemType,
    dims: number[],
    produce: (emit: (bytes: Uint8Array) => void) => void,
  ): string {
    const byteLength = dims.reduce((a, b) => a * b, 1) * ELEM_BYTES[type];
    const offset = this.external.begin(byteLength);
    let written = 0;
    produce((bytes) => {
      this.external.write(bytes);
      written += bytes.byteLength;
    });
    if (written !== byteLength) throw new Error(`weight ${name}: wrote ${written} bytes, expected ${byteLength}`);
    this.initializers.push({
      name,
      dataType: ELEM[type],
      dims,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: this.external.location },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(byteLength) },
      ],
    });
    return name;
  }

  save(path: string, opsets: Record<string, number>, producer: string, irVersion = 8): void {
    const model: OnnxTypes.IModelProto = {
      irVersion,
      producerName: producer,
      opsetImport: Object.entries(opsets).map(([domain, version]) => ({ domain, version })),
      graph: {
        name: 'diffcoder',
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    };
    writeFileSync(path, onnx.ModelProto.encode(model).finish());
  }
}

function valueInfo(name: string, type: ElemType, dims: (number | string)[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM[type],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === 'object') return { name, type: T.FLOAT, f: v.float };
  return { name, type: T.INT, i: v };
}

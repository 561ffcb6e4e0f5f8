type Ep = 'cpu' | 'cuda' | 'dml' | 'webgpu';

/** Inclusive range of default-domain (ai.onnx) opsets, as written in the graph's opset_import. */
export type OpsetRange = readonly [from: number, to: number];

/**
 * Whether an execution provider registers a kernel for one op in one opset form.
 *
 * ORT picks a kernel by the node's schema version (the `since` version the graph's opset resolves
 * to), not by the opset itself: kernel_registry.cc VerifyVersion accepts a kernel registered as
 * `start, end` when start <= since <= end, but an open-ended one (`start` only) only when
 * start == since. So an op whose schema changed between opset 17 and 23 has one row per form, and
 * `opsets` is exactly the opset range that resolves to `since` (ONNX 1.22.0, the version this ORT
 * commit builds with; capped at 26, its last released opset). Opsets with no row were not checked.
 *
 * `true` means the EP registers a kernel for that schema version for every element type the
 * block-diffusion graph feeds the op (all variants together; the note lists them: fp16 graphs for
 * GPU targets feed float16 activations, everything else float32), with the EP's default options.
 * For cpu a float16 input also counts when only the float32 kernel exists: InsertCastTransformer
 * (insert_cast_transformer.cc NeedInsertCast) wraps every fp16 node no provider claimed in Casts to
 * float32 and runs it on CPU; test/quantized.test.ts runs the fp16 cuda, dml and webgpu graphs on CPU.
 * A registered kernel can still reject a shape or attribute at run time, or a provider can decline
 * a node in GetCapability: that goes in `note`. Where an EP has no kernel,
 * ORT runs that node on CPU and copies tensors across. Nothing here was run on a GPU: every cell is
 * read from source, upstream main shortly before the 1.30.0 release: microsoft/onnxruntime commit
 * 89b01b406ca7e94078913eea3189e11bef5654c5 (from the intel/onnxruntime mirror, second parent of its
 * 2026-08-23 'upstream/main' merge; the 1.30.0 binaries report the later f2c39fe2f), its kernel
 * registrations and kernels under onnxruntime/core/providers/{cpu,cuda,dml,webgpu}, contrib_ops/{cpu,
 * cuda,webgpu}, core/framework/kernel_registry.cc and fallback_cpu_capability.cc; schema versions
 * (`since`, `opsets`) from onnx/onnx v1.22.0 (2bb50465112f, onnx/defs/operator_sets.h and schema.h),
 * the ONNX that commit builds with (cmake/deps.txt).
 */
export interface OpSupport {
  /** ONNX op type, or `com.microsoft.<Op>` for contrib ops (the spelling of manifest.ops). */
  op: string;
  /** Default-domain opsets this row covers. Absent on com.microsoft rows: that domain is version 1 in every graph. */
  opsets?: OpsetRange;
  /** ONNX schema version a node of this op has at those opsets. */
  since?: number;
  cpu: boolean;
  cuda: boolean;
  dml: boolean;
  webgpu: boolean;
  note?: string;
}

// WebGPU registers its int64 kernels only when the session config entry 'ep.webgpuexecutionprovider.enableInt64' is '1'
// (graph capture turns it on too); the string is present in the shipped 1.30.0 binaries. Its int64 arithmetic uses the low
// 32 bits. DML accepts int64 only where the device reports INT64 tensor support (DML_FEATURE_TENSOR_DATA_TYPE_SUPPORT);
// otherwise the node goes to CPU. CUDA, DML and WebGPU keep Shape outputs in CPU memory and move nodes fed only by such
// tensors to CPU on purpose (GetCpuPreferredNodes), so the small int64 Add/Sub/Squeeze/Concat on shapes run on CPU on every EP.
const WEBGPU_INT64 = "WebGPU has it only with enableInt64 ('ep.webgpuexecutionprovider.enableInt64' = '1')";

// DML registers every kernel with a start version only (OperatorRegistration.cpp REG_INFO(version, ...) ->
// AbiCustomRegistry.cpp KernelDefBuilder::SinceVersion(minimumOperatorSetVersion), no end version), so a DML kernel
// matches a node only when its version equals the node's since version exactly.
const DML_EXACT =
  'DML kernels are open-ended (AbiCustomRegistry.cpp SinceVersion only), so they match only an equal since version';

/** Last released default-domain opset in ONNX 1.22.0 (onnx/defs/schema.h last_release_version_map_). */
const LAST = 26;

/** Read from microsoft/onnxruntime at commit 89b01b406ca7e94078913eea3189e11bef5654c5 (main, 2026-08-22, VERSION_NUMBER 1.30.0): kernel registrations per EP. */
export const OP_SUPPORT: readonly OpSupport[] = [
  {
    op: 'Add',
    opsets: [14, LAST],
    since: 14,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `float32, float16 (fp16 graphs: residual, RoPE) everywhere (cpu: fp16 kernel only #ifdef MLAS_F16VEC_INTRINSICS_SUPPORTED, else cast to float32); the int64 use (past_len + seq_len): ${WEBGPU_INT64}`,
  },
  {
    op: 'ArgMax',
    opsets: [13, LAST],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 in, int64 out; opset 13+ kernels on all EPs (CUDA declines select_last_index=1, which we never set). DML needs device INT64 support for the output',
  },
  {
    op: 'Attention',
    opsets: [23, 23],
    since: 23,
    cpu: true,
    cuda: true,
    dml: false,
    webgpu: false,
    note:
      'float32 (float16 in fp16 cuda graphs) 3-D Q/K/V with q_num_heads != kv_num_heads, an attn_mask [S, T] of the same type, is_causal 0, no past inputs. cpu: cpu_execution_provider.cc L1378-1379 (23-23 float and MLFloat16; U = bool|T), fp32 checked against a numpy reference on the 1.30.0 wheel (ort-notes §3). ' +
      'cuda: cuda_execution_provider.cc L1737-1738 / L3029-3030 (23-23 float and MLFloat16, U = bool|T, core/providers/cuda/llm/attention.cc). fp16 can take memory-efficient attention (LaunchUngroup expands the KV heads; needs total length % 4 == 0) or the unfused path. fp32 with kv_num_heads != q_num_heads skips flash (fp16/bf16 only) and memory-efficient attention ' +
      '("FP32 GQA must fall through to the unfused path") and runs RunUnfusedAttention, which handles GQA and a 2-D float mask (LaunchUnfusedAttention<float> is instantiated in contrib_ops/cuda/bert/unfused_attention.cu). Not run on a GPU. ' +
      'dml: no ai.onnx Attention registration (only com.microsoft Attention and MultiHeadAttention, OperatorRegistration.cpp L1137-1138). ' +
      'webgpu: only com.microsoft Attention (webgpu_contrib_kernels.cc L26), no ai.onnx Attention under core/providers/webgpu; ort-notes §3 found none in the Node binary either',
  },
  {
    op: 'Cast',
    opsets: [13, 18],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float16 -> float32 (fp16 weights and embedding rows in fp32 graphs; RMSNorm input and logits in fp16 graphs) and float32 -> float16 (fp16 graphs: bias, cos/sin, RMSNorm output); opset 13-18 kernels (DML REG_INFO 13)',
  },
  {
    op: 'Cast',
    opsets: [23, 23],
    since: 23,
    cpu: true,
    cuda: true,
    dml: false,
    webgpu: true,
    note: `float16 <-> float32. cpu L1380 (23-23), cuda L1740/L1742 (23-24, float and MLFloat16 input), webgpu webgpu_execution_provider.cc L454 (23-23). DML registers Cast at 7, 9, 13, 19 and 21 only (OperatorRegistration.cpp L1090-1094); ${DML_EXACT}`,
  },
  {
    op: 'Concat',
    opsets: [13, LAST],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `float32 or float16 (KV concat, RoPE halves) everywhere; the int64 use (Expand target in repeatKv and the per-head bias shape, opset-17 MultiHeadAttention graphs only): ${WEBGPU_INT64}. Opset-23 graphs feed it no int64`,
  },
  {
    op: 'Div',
    opsets: [14, LAST],
    since: 14,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `float32 (RMSNorm) everywhere; int64 (position / block_length): ${WEBGPU_INT64}`,
  },
  { op: 'Exp', opsets: [13, LAST], since: 13, cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32' },
  {
    op: 'Expand',
    opsets: [13, LAST],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 or float16 data (repeated KV heads, per-head bias; opset-17 graphs only; cpu has an MLFloat16 kernel, L712); the shape input is read from CPU memory on cuda, dml and webgpu',
  },
  {
    op: 'Gather',
    opsets: [13, LAST],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 (RoPE tables, fp32 embedding) or float16 (fp16 embedding) data with int64 indices; cpu is type-agnostic. cuda T = AllFixedSizeTensorTypes; dml AllScalars; WebGPU T includes float16 and Tind is int32|int64 regardless of enableInt64',
  },
  {
    op: 'Identity',
    opsets: [16, 18],
    since: 16,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 (logits) and float16 (present KV in fp16 graphs); opset 16-18 (cpu, webgpu) / 14-18 (cuda) kernels, DML REG_INFO_COPY 16',
  },
  {
    op: 'Identity',
    opsets: [23, 23],
    since: 23,
    cpu: true,
    cuda: true,
    dml: false,
    webgpu: true,
    note: `float32 (logits), float16 (present KV in fp16 cuda graphs). cpu L1408 (23-23), cuda L1776 (23-24), webgpu L191 (23-23). DML registers Identity at 7, 13, 14, 16, 19 and 21 only (OperatorRegistration.cpp L852-857); ${DML_EXACT}`,
  },
  {
    op: 'LessOrEqual',
    opsets: [16, LAST],
    since: 16,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `int64 inputs, bool output; opset 16+ kernels. ${WEBGPU_INT64}; otherwise it runs on CPU and the bool mask is copied to the GPU`,
  },
  {
    op: 'MatMul',
    opsets: [13, LAST],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32; float16 x float16 in fp16 graphs for GPU targets (fp32 graphs Cast fp16 weights first). cpu: an MLFloat16 kernel is registered at this commit (L721, MLAS KleidiAI fp16 path, #29709) but ort-notes §4 found none in the 1.30.0 wheel; without it InsertCastTransformer runs it in float32',
  },
  {
    op: 'Mul',
    opsets: [14, LAST],
    since: 14,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32, float16 (fp16 graphs: RoPE, SwiGLU). cpu fp16 kernel only #ifdef MLAS_F16VEC_INTRINSICS_SUPPORTED (L992), else cast to float32',
  },
  {
    op: 'Range',
    opsets: [11, LAST],
    since: 11,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `int64. cpu and cuda register it as 11-26 (ONNX 1.22 adds Range-27). cuda and dml read start/limit/delta from CPU memory. ${WEBGPU_INT64} (float and int32 always)`,
  },
  {
    op: 'Reciprocal',
    opsets: [13, LAST],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 (top_prob = 1 / sum). cpu L830, cuda L1165, dml OperatorRegistration.cpp L881, webgpu L120',
  },
  {
    op: 'ReduceMax',
    opsets: [13, 17],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32; axes attribute form (every EP has a kernel range ending at opset 17; DML REG_INFO 13)',
  },
  {
    op: 'ReduceMax',
    opsets: [18, 19],
    since: 18,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32, axes as an input (not emitted: the graph uses 17 or 23). cpu L1104 (18-19), cuda 18-19, dml REG_INFO 18 (L993, axes a constant CPU input), webgpu 18-19',
  },
  {
    op: 'ReduceMax',
    opsets: [20, LAST],
    since: 20,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32, axes as an input. cpu L1240 (20, float), cuda L1586 (20, float), dml REG_INFO 20 (L994, axes must be a constant CPU input: ours is an initializer), webgpu L206 (20)',
  },
  {
    op: 'ReduceMean',
    opsets: [13, 17],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32; axes attribute form (every EP has a kernel range ending at opset 17; DML REG_INFO 13)',
  },
  {
    op: 'ReduceMean',
    opsets: [18, LAST],
    since: 18,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32, axes as an input. cpu L1110 (18, float), cuda L1278 (18, float), dml REG_INFO 18 (L964, axes a constant CPU input), webgpu L211 (18)',
  },
  {
    op: 'ReduceSum',
    opsets: [13, LAST],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32; axes moved to an input at 13, so 17 and 23 graphs are the same form. cpu L926 (13, float), cuda L1286 (13, float), dml REG_INFO 13 (L959, axes a constant CPU input), webgpu CreateReduceSumKernelInfo(13) (L514)',
  },
  {
    op: 'Reshape',
    opsets: [14, 18],
    since: 14,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 or float16 data; opset 14-18 kernels (DML REG_INFO_COPY 14); shape input read from CPU memory',
  },
  {
    op: 'Reshape',
    opsets: [23, 23],
    since: 23,
    cpu: true,
    cuda: true,
    dml: false,
    webgpu: true,
    note: `float32 or float16 data. cpu L1409 (23-23), cuda L1797 (23-24), webgpu L487 (23-24). DML registers Reshape at 7, 13, 14, 19 and 21 only (OperatorRegistration.cpp L871-875); ${DML_EXACT}`,
  },
  {
    op: 'Shape',
    opsets: [15, 18],
    since: 15,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: 'Inputs are int64 (input_ids) and float32 or float16 (past_key, KV, bias). WebGPU T is float16|float32|int32|uint32 even with enableInt64, so Shape(input_ids) runs on CPU. cuda, dml and webgpu write the output to CPU memory; dml registers it as DmlGraphSupport::NotSupported (never fused into a DML graph)',
  },
  {
    op: 'Shape',
    opsets: [23, 23],
    since: 23,
    cpu: true,
    cuda: true,
    dml: false,
    webgpu: false,
    note: `int64 (input_ids) and float32 or float16 (past_key) inputs. cpu L1411 (23-23), cuda L1808 (23-24). WebGPU registers 23-23 (L182) but its T excludes int64, as in the 15-18 row. DML registers Shape at 7, 13, 15, 19 and 21 only (L1105-1109); ${DML_EXACT}`,
  },
  {
    op: 'Sigmoid',
    opsets: [13, LAST],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32, float16 (fp16 graphs). cpu has float and double kernels only (activations.cc), so fp16 runs there through InsertCastTransformer',
  },
  {
    op: 'Slice',
    opsets: [13, LAST],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 or float16 data, int64 starts/ends/axes read from CPU memory. WebGPU Slice T is float16|float32 only',
  },
  {
    op: 'Split',
    opsets: [13, 17],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 or float16 with split sizes as an int64 input (opset 13-17 kernels; DML REG_INFO_VER 13), read from CPU memory',
  },
  {
    op: 'Split',
    opsets: [18, LAST],
    since: 18,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 or float16 with split sizes as an int64 input. cpu L1165 (18), cuda L1483 (18), dml REG_INFO_VER 18 (L794, sizes a constant CPU input), webgpu L328 (18)',
  },
  { op: 'Sqrt', opsets: [13, LAST], since: 13, cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32' },
  {
    op: 'Squeeze',
    opsets: [13, 20],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: 'Only used on int64 ([1] -> scalar). WebGPU Squeeze T is float16|float32|int32|uint32 even with enableInt64, so it always runs on CPU there',
  },
  {
    op: 'Squeeze',
    opsets: [23, 23],
    since: 23,
    cpu: true,
    cuda: true,
    dml: false,
    webgpu: false,
    note: `Only used on int64. cpu L1413 (23-23), cuda L1810 (23-23, AllFixedSizeTensorTypes). WebGPU registers 23-23 (L199) with T = float16|float32|int32|uint32: no int64. DML registers Squeeze at 7, 11, 13 and 21 only (L863-866); ${DML_EXACT}`,
  },
  {
    op: 'Sub',
    opsets: [14, LAST],
    since: 14,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `float32, float16 (fp16 graphs: RoPE) everywhere (cpu fp16 kernel only #ifdef MLAS_F16VEC_INTRINSICS_SUPPORTED, else cast to float32); the int64 use (seq_len - logits_keep): ${WEBGPU_INT64}`,
  },
  {
    op: 'TopK',
    opsets: [11, 23],
    since: 11,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32 logits (the k candidates of traces), k an int64 initializer. cpu L592 (11-23 float), cuda L1032 (11-23), dml REG_INFO_VER 11 (OperatorRegistration.cpp L1102, k a constant CPU input), webgpu webgpu_execution_provider.cc L416 (11-23). The cpu kernel divides by the row count: the graph never gives it an empty tensor (builder/blocks.ts makeLmHead)',
  },
  {
    op: 'TopK',
    opsets: [24, LAST],
    since: 24,
    cpu: true,
    cuda: true,
    dml: false,
    webgpu: true,
    note: `cpu L1469 (24, float), cuda L1824 (24), webgpu L417 (24). DML registers TopK at 7, 10 and 11 only (L1100-1102); ${DML_EXACT}`,
  },
  {
    op: 'Unsqueeze',
    opsets: [13, 20],
    since: 13,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `float32 (cos/sin), float32 or float16 (attention bias) everywhere; the int64 use (block ids): ${WEBGPU_INT64}`,
  },
  {
    op: 'Unsqueeze',
    opsets: [23, 23],
    since: 23,
    cpu: true,
    cuda: true,
    dml: false,
    webgpu: false,
    note: `float32 (cos/sin) and int64 (block ids). cpu L1415 (23-23), cuda L1812 (23-23). WebGPU registers 23-23 (L469): ${WEBGPU_INT64}. DML registers Unsqueeze at 7, 11, 13 and 21 only (L867-870); ${DML_EXACT}`,
  },
  {
    op: 'Where',
    opsets: [16, LAST],
    since: 16,
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'bool condition, float32 values; opset 16+ kernels',
  },
  {
    op: 'com.microsoft.GatherBlockQuantized',
    cpu: true,
    cuda: true,
    dml: false,
    webgpu: true,
    note:
      'uint8 data (bits 4 or 8), int64 indices, float32 scales, optional uint8 zero points, gather_axis 0, quantize_axis 1 (last). ' +
      'cpu: cpu_contrib_kernels.cc L62/L373 (uint8_t, int64_t; T2 float|float16); uint8 data allows bits 2, 4, 8; zero points indexed per row (row * ceil(blocks*bits/8)). ' +
      'cuda: cuda_contrib_kernels.cc L245/L533 (uint8_t, float, int64_t); the kernel (gather_block_quantized.cu) indexes zero points by the flat block number, which matches our per-row-padded layout only when blocks_per_row * bits is a multiple of 8 (4-bit: an even block count; true for 4096/32). ' +
      "webgpu: webgpu_contrib_kernels.cc L32 (T1 uint8|int4|uint4, T2 float|float16, Tind int32|int64); 4-bit zero points are reread as uint4 and must have the scales' shape, so again an even block count per row. " +
      'dml: no GatherBlockQuantized anywhere under core/providers/dml: the node runs on CPU and the dequantized rows are copied to the GPU',
  },
  {
    op: 'com.microsoft.MatMulNBits',
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note:
      'float32 A and scales, uint8 B, optional uint8 zero points, bits 4 or 8, accuracy_level 4. ' +
      'cpu: cpu_contrib_kernels.cc L58/L369 (float); bits 2/4/8 with level 4 checked on the 1.30.0 wheel (ort-notes §1). ' +
      'cuda: cuda_contrib_kernels.cc L209/L494 (float; T2 uint8, T3 uint8|float); float A never takes the fpA_intB CUTLASS path (CheckFpAIntBEligibility: fp16/bf16 only); contrib_ops/cuda/quantization/matmul_nbits.cc dequantizes 4- and 8-bit B (Dequantize4Bits/Dequantize8Bits<float, uint8_t> are instantiated) and multiplies in float; accuracy_level is not read. ' +
      'dml: OperatorRegistration.cpp L1176 (T1 float16|float32, T2 uint8) with QueryMatMulNBits: bits 4 or 8 and K % block_size == 0, otherwise the node runs on CPU; g_idx and bias inputs are rejected (we pass neither); accuracy_level is not read. ' +
      'webgpu: webgpu_contrib_kernels.cc L40 (T1 float|float16, T2/T3 uint8); "Only 4/8 bits are supported for webgpu matmulnbits"; zero points must be uint8',
  },
  {
    op: 'com.microsoft.MultiHeadAttention',
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32, float16 in fp16 graphs (cpu has a float kernel only, cpu_contrib_kernels.cc L30: fp16 runs there through InsertCastTransformer; dml T = float16|float32, webgpu float|float16, cuda MLFloat16_MLFloat16). attention_bias [1,1,S,T] passes the shared helper (dims 0/1 may be batch|1, heads|1) and cpu, cuda and webgpu broadcast it. DML kernel requires bias dims [batch, num_heads, S, T] exactly ("TODO: support broadcast"), so with num_heads > 1 the node fails with E_INVALIDARG: no CPU fallback. Expand the bias to [1, num_heads, S, T] for DML. CUDA registers T x QK pairs; QK only binds the absent qk output, so float_float matches',
  },
];

/** The row for `op` in a graph whose default-domain opset is `opset`, or undefined where that form was not checked. */
export function opSupportRow(op: string, opset: number): OpSupport | undefined {
  const rows = OP_SUPPORT.filter((r) => r.op === op && (!r.opsets || (opset >= r.opsets[0] && opset <= r.opsets[1])));
  if (rows.length > 1) throw new Error(`OP_SUPPORT has ${rows.length} rows for ${op} at opset ${opset}`);
  return rows[0];
}

/**
 * Whether `ep` registers a kernel for `op` in a graph of default-domain opset `opset` (see OpSupport).
 * undefined: no row covers that op at that opset, i.e. nobody checked.
 */
export function opSupported(op: string, ep: Ep, opset: number): boolean | undefined {
  return opSupportRow(op, opset)?.[ep];
}

export type Ep = 'cpu' | 'cuda' | 'dml' | 'webgpu';

/**
 * `true` means the EP registers a kernel for the op at default-domain opset 17 (com.microsoft opset 1) for every element
 * type the block-diffusion graph feeds it, with the EP's default options. A registered kernel can still reject a shape at
 * run time: that goes in `note`. Where an EP has no kernel, ORT runs that node on CPU and copies tensors across.
 */
export interface OpSupport {
  op: string;
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

/** Read from microsoft/onnxruntime at commit 89b01b406ca7e94078913eea3189e11bef5654c5 (main, 2026-08-22, VERSION_NUMBER 1.30.0): kernel registrations per EP. */
export const OP_SUPPORT: readonly OpSupport[] = [
  { op: 'Add', cpu: true, cuda: true, dml: true, webgpu: false, note: `float32 everywhere; the int64 use (past_len + seq_len): ${WEBGPU_INT64}` },
  { op: 'ArgMax', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32 in, int64 out; opset 13+ kernels on all EPs. DML needs device INT64 support for the output' },
  {
    op: 'Concat',
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `float32 everywhere; the int64 use (Expand target in repeatKv, only when numKvHeads < numHeads): ${WEBGPU_INT64}`,
  },
  { op: 'Div', cpu: true, cuda: true, dml: true, webgpu: false, note: `float32 (RMSNorm) everywhere; int64 (position / block_length): ${WEBGPU_INT64}` },
  { op: 'Exp', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32' },
  { op: 'Expand', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32 data; the shape input is read from CPU memory on cuda, dml and webgpu' },
  { op: 'Gather', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32 data with int64 indices; WebGPU Tind is int32|int64 regardless of enableInt64' },
  { op: 'Identity', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32; opset 16-18 (cpu, webgpu, dml) / 14-18 (cuda) kernels' },
  {
    op: 'LessOrEqual',
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `int64 inputs, bool output; opset 16+ kernels. ${WEBGPU_INT64}; otherwise it runs on CPU and the bool mask is copied to the GPU`,
  },
  { op: 'MatMul', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32' },
  { op: 'Mul', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32 only in this graph' },
  {
    op: 'Range',
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: `int64. cuda and dml read start/limit/delta from CPU memory. ${WEBGPU_INT64} (float and int32 always)`,
  },
  {
    op: 'ReduceLogSumExp',
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32; axes attribute form (every EP has a kernel range ending at opset 17; opset 18 moves axes to an input)',
  },
  { op: 'ReduceMax', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32; axes attribute form (every EP has a kernel range ending at opset 17)' },
  { op: 'ReduceMean', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32; axes attribute form (every EP has a kernel range ending at opset 17)' },
  { op: 'Reshape', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32 data; opset 14-18 kernels; shape input read from CPU memory' },
  {
    op: 'Shape',
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: 'Inputs are int64 (input_ids) and float32 (past_key, KV). WebGPU T is float16|float32|int32|uint32 even with enableInt64, so Shape(input_ids) runs on CPU. cuda, dml and webgpu write the output to CPU memory; dml registers it as DmlGraphSupport::NotSupported (never fused into a DML graph)',
  },
  { op: 'Sigmoid', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32' },
  { op: 'Slice', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32 data, int64 starts/ends/axes read from CPU memory. WebGPU Slice T is float16|float32 only' },
  { op: 'Split', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32 with split sizes as an int64 input (opset 13-17 kernels), read from CPU memory' },
  { op: 'Sqrt', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float32' },
  {
    op: 'Squeeze',
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: false,
    note: 'Only used on int64 ([1] -> scalar). WebGPU Squeeze T is float16|float32|int32|uint32 even with enableInt64, so it always runs on CPU there',
  },
  { op: 'Sub', cpu: true, cuda: true, dml: true, webgpu: false, note: `float32 everywhere; the int64 use (seq_len - logits_keep): ${WEBGPU_INT64}` },
  { op: 'Unsqueeze', cpu: true, cuda: true, dml: true, webgpu: false, note: `float32 (cos/sin, attention bias) everywhere; the int64 use (block ids): ${WEBGPU_INT64}` },
  { op: 'Where', cpu: true, cuda: true, dml: true, webgpu: true, note: 'bool condition, float32 values; opset 16+ kernels' },
  {
    op: 'com.microsoft.MultiHeadAttention',
    cpu: true,
    cuda: true,
    dml: true,
    webgpu: true,
    note: 'float32. attention_bias [1,1,S,T] passes the shared helper (dims 0/1 may be batch|1, heads|1) and cpu, cuda and webgpu broadcast it. DML kernel requires bias dims [batch, num_heads, S, T] exactly ("TODO: support broadcast"), so with num_heads > 1 the node fails with E_INVALIDARG: no CPU fallback. Expand the bias to [1, num_heads, S, T] for DML. CUDA registers T x QK pairs; QK only binds the absent qk output, so float_float matches',
  },
  { op: 'Cast', cpu: true, cuda: true, dml: true, webgpu: true, note: 'float16 -> float32 (fp16 output only); opset 13-18 kernels' },
];

export const OP_SUPPORT_SOURCE = {
  repository: 'microsoft/onnxruntime',
  // The full microsoft/onnxruntime snapshot exceeded the fetch limit, so this upstream commit came from the intel/onnxruntime
  // mirror (second parent of its 2026-08-23 'upstream/main' merge). The 1.30.0 release binaries report git-commit-id f2c39fe2f, which no
  // mirror here contains; it is later than this commit.
  commit: '89b01b406ca7e94078913eea3189e11bef5654c5',
  files: [
    'onnxruntime/core/providers/cpu/cpu_execution_provider.cc',
    'onnxruntime/contrib_ops/cpu/cpu_contrib_kernels.cc',
    'onnxruntime/contrib_ops/cpu/bert/multihead_attention_helper.h',
    'onnxruntime/contrib_ops/cpu/bert/attention_cpu_base.h',
    'onnxruntime/core/graph/contrib_ops/bert_defs.cc',
    'onnxruntime/core/framework/kernel_registry.cc',
    'onnxruntime/core/framework/fallback_cpu_capability.cc',
    'onnxruntime/core/providers/cuda/cuda_execution_provider.cc',
    'onnxruntime/contrib_ops/cuda/cuda_contrib_kernels.cc',
    'onnxruntime/contrib_ops/cuda/bert/multihead_attention.cc',
    'onnxruntime/contrib_ops/cuda/bert/attention_softmax.cu',
    'onnxruntime/contrib_ops/cuda/bert/cutlass_fmha/fmha_launch_template.h',
    'onnxruntime/core/providers/cuda/generator/range.cc',
    'onnxruntime/core/providers/cuda/tensor/shape_op.cc',
    'onnxruntime/core/providers/dml/DmlExecutionProvider/src/Operators/OperatorRegistration.cpp',
    'onnxruntime/core/providers/dml/DmlExecutionProvider/src/Operators/DmlOperatorMultiHeadAttention.cpp',
    'onnxruntime/core/providers/dml/DmlExecutionProvider/src/ExecutionProvider.cpp',
    'onnxruntime/core/providers/dml/DmlExecutionProvider/src/GraphPartitioner.cpp',
    'onnxruntime/core/providers/webgpu/webgpu_execution_provider.cc',
    'onnxruntime/core/providers/webgpu/webgpu_supported_types.h',
    'onnxruntime/core/providers/webgpu/webgpu_provider_factory.cc',
    'onnxruntime/core/providers/webgpu/math/binary_elementwise_ops.cc',
    'onnxruntime/core/providers/webgpu/math/unary_elementwise_ops.cc',
    'onnxruntime/core/providers/webgpu/generator/range.cc',
    'onnxruntime/core/providers/webgpu/tensor/shape_op.cc',
    'onnxruntime/core/providers/webgpu/tensor/squeeze.cc',
    'onnxruntime/core/providers/webgpu/tensor/unsqueeze.cc',
    'onnxruntime/core/providers/webgpu/tensor/concat.cc',
    'onnxruntime/core/providers/webgpu/tensor/gather.cc',
    'onnxruntime/core/providers/webgpu/tensor/slice.cc',
    'onnxruntime/core/providers/webgpu/tensor/split.cc',
    'onnxruntime/core/providers/webgpu/tensor/where.cc',
    'onnxruntime/core/providers/webgpu/tensor/cast.cc',
    'onnxruntime/core/providers/webgpu/reduction/reduction_ops.cc',
    'onnxruntime/contrib_ops/webgpu/webgpu_contrib_kernels.cc',
    'onnxruntime/contrib_ops/webgpu/bert/multihead_attention.cc',
    'onnxruntime/contrib_ops/webgpu/bert/attention.cc',
    'onnxruntime/contrib_ops/webgpu/bert/flash_attention.cc',
  ],
} as const;

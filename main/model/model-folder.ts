import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import onnxProto from 'onnx-proto';
import { parseLlamaConfig, readJsonFile, type LlamaConfig } from './config.js';
import { ModelFolderError } from './errors.js';
import { MANIFEST_FILE, manifestSchema, type Manifest } from './manifest.js';

const { onnx } = onnxProto;

/** A model folder that passed every check that can be made without starting ORT. */
export interface ModelFolder {
  dir: string;
  name: string;
  manifest: Manifest;
  config: LlamaConfig;
  tokenizerJson: object;
  tokenizerConfig: Record<string, unknown>;
  graphPath: string;
}

/** The folder's diffcoder.json, validated on its own (cheap: no tokenizer, no graph). */
export function readManifest(dir: string): Manifest {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelFolderError(dir, 'model folder not found');
  const parsed = manifestSchema.safeParse(readJsonFile(dir, MANIFEST_FILE));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFolderError(MANIFEST_FILE, `field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return parsed.data;
}

/**
 * Reads and validates a model folder. Every failure is a ModelFolderError naming the file and
 * the problem, so the UI and the CLI can say exactly what is wrong.
 */
export function openModelFolder(dir: string): ModelFolder {
  const manifest = readManifest(dir);
  const config = parseLlamaConfig(readJsonFile(dir, 'config.json'));
  const a = manifest.architecture;
  const mismatches = (
    [
      ['num_hidden_layers', config.numLayers, a.numLayers],
      ['num_attention_heads', config.numHeads, a.numHeads],
      ['num_key_value_heads', config.numKvHeads, a.numKvHeads],
      ['head_dim', config.headDim, a.headDim],
      ['hidden_size', config.hiddenSize, a.hiddenSize],
      ['vocab_size', config.vocabSize, a.vocabSize],
      ['max_position_embeddings', config.maxPositions, a.maxPositions],
    ] as const
  ).filter(([, fromConfig, fromManifest]) => fromConfig !== fromManifest);
  if (mismatches.length) {
    const [field, fromConfig, fromManifest] = mismatches[0];
    throw new ModelFolderError(
      'config.json',
      `shape mismatch: ${field} is ${fromConfig} but the graph was built for ${fromManifest}`,
    );
  }
  if (manifest.tokens.mask < 0 || manifest.tokens.mask >= config.vocabSize)
    throw new ModelFolderError(MANIFEST_FILE, `no mask token: id ${manifest.tokens.mask} is outside the vocabulary`);

  const tokenizerJson = readJsonFile(dir, 'tokenizer.json');
  if (typeof tokenizerJson !== 'object' || tokenizerJson === null || !('model' in tokenizerJson))
    throw new ModelFolderError('tokenizer.json', 'not a Hugging Face tokenizer (no "model" field)');
  const tokenizerConfig = readJsonFile(dir, 'tokenizer_config.json');
  if (typeof tokenizerConfig !== 'object' || tokenizerConfig === null)
    throw new ModelFolderError('tokenizer_config.json', 'not a JSON object');
  const chatTemplateFile = join(dir, 'chat_template.jinja');
  const tc = tokenizerConfig as Record<string, unknown>;
  if (typeof tc.chat_template !== 'string' && existsSync(chatTemplateFile))
    tc.chat_template = readFileSync(chatTemplateFile, 'utf8');

  // The names are plain file names (manifestSchema); a link leading out of the folder is refused before its size is read.
  const graphPath = folderFile(dir, manifest.graph);
  const dataPath = folderFile(dir, manifest.externalData);
  const dataSize = statSync(dataPath).size;
  if (dataSize !== manifest.externalDataBytes)
    throw new ModelFolderError(
      manifest.externalData,
      `is ${dataSize} bytes but ${MANIFEST_FILE} says ${manifest.externalDataBytes} (truncated or replaced?)`,
    );
  checkGraphShapes(graphPath, manifest, dataSize);

  return {
    dir,
    name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir,
    manifest,
    config,
    tokenizerJson,
    tokenizerConfig: tc,
    graphPath,
  };
}

/** A regular file inside the model folder (after links are resolved), or a ModelFolderError naming it. */
function folderFile(dir: string, name: string): string {
  const path = join(dir, name);
  if (!existsSync(path)) throw new ModelFolderError(name, 'missing');
  const inside = relative(realpathSync(dir), realpathSync(path));
  if (!inside || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside))
    throw new ModelFolderError(name, 'is a link to a file outside the model folder; refused');
  if (!statSync(path).isFile()) throw new ModelFolderError(name, 'is not a regular file');
  return path;
}

/** The graph file holds the network only (weights are external): anything near this size is not one of ours. */
const GRAPH_SIZE_LIMIT = 256 << 20;

interface Initializer {
  dims: number[];
  location?: string;
  offset: number;
  length: number;
}

/**
 * Reads the graph's initializers (names, dims and where their bytes are; not the weights) and checks
 * the manifest's architecture against them, so a folder that lies about its shapes is refused here,
 * naming the field, and not by onnxruntime in the middle of a run: the embedding table's rows are the
 * vocabulary, the RoPE table is [positions, head_dim / 2], layer 0's packed q|k|v projection has
 * (heads + 2 * kv_heads) * head_dim outputs, the LM head has a column (float) or a row (MatMulNBits)
 * per token, and there are exactly num_layers layers. Every external initializer must be in the
 * folder's data file, within its size.
 */
function checkGraphShapes(graphPath: string, manifest: Manifest, dataSize: number): void {
  const graphFile = manifest.graph;
  const size = statSync(graphPath).size;
  if (size > GRAPH_SIZE_LIMIT)
    throw new ModelFolderError(
      graphFile,
      `is ${size} bytes: not a diffcoder graph (its weights belong in ${manifest.externalData})`,
    );
  let graph: ReturnType<typeof onnx.ModelProto.decode>['graph'];
  try {
    graph = onnx.ModelProto.decode(readFileSync(graphPath)).graph;
  } catch (e) {
    throw new ModelFolderError(graphFile, `not an ONNX graph (${(e as Error).message})`);
  }
  const inits = new Map<string, Initializer>();
  for (const t of graph?.initializer ?? []) {
    const ext = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
    const init: Initializer = {
      dims: (t.dims ?? []).map(Number),
      location: ext.location ?? undefined,
      offset: Number(ext.offset ?? 0),
      length: Number(ext.length ?? 0),
    };
    if (t.externalData?.length) {
      if (init.location !== manifest.externalData)
        throw new ModelFolderError(
          graphFile,
          `initializer ${t.name} has its data in "${init.location}", not in ${manifest.externalData}; refused`,
        );
      if (!(init.offset >= 0 && init.length >= 0 && init.offset + init.length <= dataSize))
        throw new ModelFolderError(graphFile, `initializer ${t.name} lies past the end of ${manifest.externalData}`);
    }
    inits.set(t.name ?? '', init);
  }

  const a = manifest.architecture;
  const field = (name: keyof Manifest['architecture'], value: number, what: string): never => {
    throw new ModelFolderError(
      MANIFEST_FILE,
      `field architecture.${name}: ${a[name]} does not match the graph (${graphFile}), whose ${what} (${value}); the folder was edited or mixed`,
    );
  };
  const dims = (name: string): number[] => {
    const init = inits.get(name);
    if (!init) throw new ModelFolderError(graphFile, `no initializer ${name}: not a diffcoder graph`);
    return init.dims;
  };
  // A linear layer: float [in, out] (MatMul) or MatMulNBits [out, k_blocks, blob]; returns its outputs.
  const outputs = (name: string): number => {
    const d = dims(name);
    return d.length === 3 ? d[0] : d[1];
  };

  const embed = dims('embed_tokens');
  if (embed[0] !== a.vocabSize) field('vocabSize', embed[0], 'embedding table embed_tokens has that many rows');
  const head = outputs('lm_head');
  if (head !== a.vocabSize) field('vocabSize', head, 'LM head lm_head has that many outputs');
  const norm = dims('norm');
  if (norm[0] !== a.hiddenSize) field('hiddenSize', norm[0], 'final norm has that many weights');
  const [positions, half] = dims('rope.cos');
  if (positions !== a.maxPositions) field('maxPositions', positions, 'RoPE table rope.cos has that many positions');
  if (half * 2 !== a.headDim) field('headDim', half * 2, 'RoPE table rope.cos gives that head_dim');
  const qkv = outputs('layers.0.attn.qkv_proj');
  const want = (a.numHeads + 2 * a.numKvHeads) * a.headDim;
  if (qkv !== want) {
    throw new ModelFolderError(
      MANIFEST_FILE,
      `fields architecture.numHeads/numKvHeads/headDim: (${a.numHeads} + 2 * ${a.numKvHeads}) * ${a.headDim} = ${want} does not match the graph (${graphFile}), whose q|k|v projection layers.0.attn.qkv_proj has ${qkv} outputs`,
    );
  }
  const oProj = dims('layers.0.attn.o_proj');
  if (oProj.length === 2 && oProj[0] !== a.numHeads * a.headDim)
    field('numHeads', oProj[0] / a.headDim, 'output projection layers.0.attn.o_proj gives that many heads');
  if (!inits.has(`layers.${a.numLayers - 1}.attn.qkv_proj`) || inits.has(`layers.${a.numLayers}.attn.qkv_proj`)) {
    let layers = 0;
    while (inits.has(`layers.${layers}.attn.qkv_proj`)) layers++;
    field('numLayers', layers, 'layers are that many');
  }
}

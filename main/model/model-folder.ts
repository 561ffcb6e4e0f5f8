import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseLlamaConfig, readJsonFile, type LlamaConfig } from './config.js';
import { ModelFolderError } from './errors.js';
import { MANIFEST_FILE, manifestSchema, type Manifest } from './manifest.js';

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

/**
 * Reads and validates a model folder. Every failure is a ModelFolderError naming the file and
 * the problem, so the UI and the CLI can say exactly what is wrong.
 */
export function openModelFolder(dir: string): ModelFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ModelFolderError(dir, 'model folder not found');
  const rawManifest = readJsonFile(dir, MANIFEST_FILE);
  const parsed = manifestSchema.safeParse(rawManifest);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ModelFolderError(MANIFEST_FILE, `field ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const manifest = parsed.data;
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
    ] as const
  ).filter(([, fromConfig, fromManifest]) => fromConfig !== fromManifest);
  if (mismatches.length) {
    const [field, fromConfig, fromManifest] = mismatches[0];
    throw new ModelFolderError('config.json', `shape mismatch: ${field} is ${fromConfig} but the graph was built for ${fromManifest}`);
  }
  if (manifest.tokens.mask < 0 || manifest.tokens.mask >= config.vocabSize) throw new ModelFolderError(MANIFEST_FILE, `no mask token: id ${manifest.tokens.mask} is outside the vocabulary`);

  const tokenizerJson = readJsonFile(dir, 'tokenizer.json');
  if (typeof tokenizerJson !== 'object' || tokenizerJson === null || !('model' in tokenizerJson)) throw new ModelFolderError('tokenizer.json', 'not a Hugging Face tokenizer (no "model" field)');
  const tokenizerConfig = readJsonFile(dir, 'tokenizer_config.json');
  if (typeof tokenizerConfig !== 'object' || tokenizerConfig === null) throw new ModelFolderError('tokenizer_config.json', 'not a JSON object');
  const chatTemplateFile = join(dir, 'chat_template.jinja');
  const tc = tokenizerConfig as Record<string, unknown>;
  if (typeof tc.chat_template !== 'string' && existsSync(chatTemplateFile)) tc.chat_template = readFileSync(chatTemplateFile, 'utf8');

  const graphPath = join(dir, manifest.graph);
  if (!existsSync(graphPath)) throw new ModelFolderError(manifest.graph, 'missing');
  const dataPath = join(dir, manifest.externalData);
  if (!existsSync(dataPath)) throw new ModelFolderError(manifest.externalData, 'missing');
  const dataSize = statSync(dataPath).size;
  if (dataSize !== manifest.externalDataBytes) throw new ModelFolderError(manifest.externalData, `is ${dataSize} bytes but ${MANIFEST_FILE} says ${manifest.externalDataBytes} (truncated or replaced?)`);

  return { dir, name: dir.split(/[\\/]/).filter(Boolean).pop() ?? dir, manifest, config, tokenizerJson, tokenizerConfig: tc, graphPath };
}

/** The converter's public entry point (the builder itself lives in build-graph.ts / builder/). */
export { convertCheckpoint, GRAPH_FILE, DATA_FILE, IO_NAMES, type ConvertOptions } from './build-graph.js';

/** A model folder or checkpoint that cannot be used; names the file and the problem. */
export class ModelFolderError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ModelFolderError';
  }
}

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

/** A conversion option that cannot work (for example a format the target provider has no kernel for). */
export class ConvertOptionError extends Error {
  constructor(
    readonly option: string,
    readonly problem: string,
  ) {
    super(`--${option}: ${problem}`);
    this.name = 'ConvertOptionError';
  }
}

/** Entry point of the `nn` command line (bin/nn is a thin shim to this file). */
export function main(argv: string[]): void {
  void argv;
  process.stdout.write('nn: the command line is being built\n');
}

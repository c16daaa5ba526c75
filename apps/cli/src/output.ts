/** Where a command writes: text for people, or one JSON document (`--output json`) for scripts. */
export interface Sink {
  out(text: string): void;
  err(text: string): void;
}

export class Output {
  constructor(
    readonly json: boolean,
    private readonly sink: Sink,
  ) {}

  /** A line of text (text mode only). */
  line(text: string): void {
    if (!this.json) this.sink.out(`${text}\n`);
  }

  /** The command's result: printed as JSON in json mode, else `text()` when given. */
  result(value: unknown, text?: () => string[]): void {
    if (this.json) this.sink.out(`${JSON.stringify(value, null, 2)}\n`);
    else if (text) for (const l of text()) this.sink.out(`${l}\n`);
  }

  /** JSON in both modes (a context, an export printed to stdout). */
  document(value: unknown): void {
    this.sink.out(`${JSON.stringify(value, null, 2)}\n`);
  }

  error(message: string, details: readonly { path: string; message: string }[] = []): void {
    if (this.json) this.sink.err(`${JSON.stringify({ error: message, details })}\n`);
    else {
      this.sink.err(`error: ${message}\n`);
      for (const d of details) this.sink.err(`  ${d.path || '(root)'}: ${d.message}\n`);
    }
  }
}

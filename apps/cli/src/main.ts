#!/usr/bin/env node
import 'reflect-metadata';
import { homedir } from 'os';
import { CommanderError } from 'commander';
import { buildProgram } from './cli.program';
import { CliError, EXIT } from './cli.errors';
import { Output } from './output';

/** The `vecron` command: reads the environment once, runs, exits with a meaningful code (cli.errors.ts). */
async function main(): Promise<number> {
  const sink = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
  const { program, exitCode } = buildProgram({ env: process.env, home: homedir(), sink });
  try {
    await program.parseAsync(process.argv);
    return exitCode();
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version end with code 0; usage errors (already printed) with INVALID.
      return err.exitCode === 0 ? EXIT.OK : EXIT.INVALID;
    }
    const json = process.argv.includes('json') && process.argv.some((a) => a === '--output' || a.startsWith('--output='));
    const out = new Output(json, sink);
    if (err instanceof CliError) {
      out.error(err.message, err.details);
      return err.code;
    }
    out.error(err instanceof Error ? err.message : String(err));
    return EXIT.FAILED;
  }
}

void main().then((code) => {
  process.exitCode = code;
});

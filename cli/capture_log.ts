/**
 * Test support for the command-line entry points: runs `main(args)` with `console.log`
 * captured, checks its exit status is 0, and returns the printed lines.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Runs `main(args)`, asserting exit status 0; returns what it printed with console.log. */
export async function capturedLines(
  main: (args: string[]) => Promise<number>,
  args: string[],
): Promise<string[]> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...parts: unknown[]) => lines.push(parts.join(" "));
  try {
    assert.equal(await main(args), 0);
  } finally {
    console.log = log;
  }
  return lines;
}

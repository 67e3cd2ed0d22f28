/**
 * The Restricted Mode suite's entry: the same mocha runner as suite/, over this folder's tests only, loaded by
 * a code-server started with workspace trust on (runInCodeServer's second run).
 */
import { runTestFilesUnder } from '../suite/index';

export function run(): Promise<void> {
  return runTestFilesUnder(__dirname);
}

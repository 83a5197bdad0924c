/**
 * The list of registered commands. Add a command by writing `commands/<name>.ts` that exports
 * a `register: RegisterCommand` and adding it here (one line per command, alphabetical).
 */
import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { register as registerController } from './controller.js';
import { register as registerCopy } from './copy.js';
import { register as registerDemo } from './demo.js';
import { register as registerDiff } from './diff.js';
import { register as registerGraph } from './graph.js';
import { register as registerPlan } from './plan.js';
import { register as registerServe } from './serve.js';
import { register as registerStatus } from './status.js';
import { register as registerToken } from './token.js';
import { register as registerValidate } from './validate.js';

export type SetExitCode = (code: number) => void;
export type RegisterCommand = (program: Command, io: CliIO, setExitCode: SetExitCode) => void;

export const commands: RegisterCommand[] = [
  registerController,
  registerCopy,
  registerDemo,
  registerDiff,
  registerGraph,
  registerPlan,
  registerServe,
  registerStatus,
  registerToken,
  registerValidate,
];

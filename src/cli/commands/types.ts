// The shape every command module has: it adds its subcommand to the program and wraps its action
// with `action`, which builds the command context and records the exit code.
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

type Handler<O> = (ctx: CommandContext, options: O, args: string[]) => number | void | Promise<number | void>;

export type ActionFactory = <O>(handler: Handler<O>) => (...params: unknown[]) => Promise<void>;

export type RegisterCommand = (program: Command, action: ActionFactory) => void;

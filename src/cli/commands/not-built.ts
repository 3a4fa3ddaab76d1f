import type { Command } from '../io.js';

/** A command whose issue has not landed yet: says so, exit 2. */
export function notBuilt(name: string): Command {
  return {
    decl: { name, summary: 'not built yet', usage: name, options: [] },
    run: async (_argv, io) => {
      io.err(`bpflab: '${name}' is not built yet\n`);
      return 2;
    },
  };
}

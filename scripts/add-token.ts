// Adds a named, scoped token to a tokens file and prints the secret once (it is stored only as a
// hash). Usage: npx tsx scripts/add-token.ts --name monitor --scopes read --file tokens.json
import { parseArgs } from 'node:util';
import { addToken, SCOPES } from '../src/auth/index.js';

const usage = `usage: npx tsx scripts/add-token.ts --name NAME --scopes ${SCOPES.join(',')} --file PATH`;

function main(): number {
  let values: { name?: string; scopes?: string; file?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { name: { type: 'string' }, scopes: { type: 'string' }, file: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    return 2;
  }
  if (values.help || !values.name || !values.scopes || !values.file) {
    console.error(usage);
    return values.help ? 0 : 2;
  }
  const scopes = values.scopes.split(/[ ,]+/).filter(Boolean);
  try {
    const token = addToken(values.file, values.name, scopes);
    // The secret on stdout alone (easy to pipe into a secret store); the note on stderr.
    console.error(`added token "${values.name}" (${scopes.join(', ')}) to ${values.file}; it is shown only now:`);
    console.log(token);
    return 0;
  } catch (error) {
    console.error(`add-token: ${(error as Error).message}`);
    return 1;
  }
}

process.exitCode = main();

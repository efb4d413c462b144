// The command helper: a small, long-lived process that starts commands for the agent
// (src/wireguard/helper-runner.ts). Starting a process holds its caller's event loop 3-5 ms (execa,
// then fork and exec), up to ~18 ms from an agent holding a full interface: ~0.8 s of a 10,000-device
// revocation. Here that cost lands on this process's loop, not on the requests'. The commands run
// exactly as in the agent: through the execa runner, argv arrays, never a shell.
import { toWire, type HelperReply, type HelperRequest } from './helper-protocol.js';
import { createExecaRunner } from './runner.js';

const send = (reply: HelperReply) => process.send?.(reply);

process.on('message', (request: HelperRequest) => {
  const runner = createExecaRunner({ timeoutMs: request.timeoutMs });
  runner.run(request.file, request.args, request.input === undefined ? undefined : { input: request.input }).then(
    ({ stdout }) => send({ id: request.id, stdout }),
    (error: unknown) => send({ id: request.id, error: toWire(error) }),
  );
});
// The agent is gone (exited, killed): so is the reason to be here.
process.on('disconnect', () => process.exit(0));

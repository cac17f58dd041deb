/** An SMTP sink in its own process: accepts every message and counts them (asked over IPC). */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

let count = 0;
const server = new SMTPServer({
  disabledCommands: ['AUTH', 'STARTTLS'],
  logger: false,
  maxClients: 64,
  onData(stream, _session, callback) {
    stream.on('data', () => undefined);
    stream.on('end', () => {
      count += 1;
      callback();
    });
  },
});
server.listen(0, '127.0.0.1', () => {
  process.send?.({ port: (server.server.address() as AddressInfo).port });
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'count') process.send?.({ count });
  if (m.type === 'reset') {
    count = 0;
    process.send?.({ count });
  }
  if (m.type === 'stop') server.close(() => process.exit(0));
});

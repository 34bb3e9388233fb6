// Miniflare 3 (workerd) serving the benchmark's hello as a Workers fetch handler on 127.0.0.1; prints
// its URL as the first line and serves until SIGTERM or SIGINT.
import { Miniflare } from 'miniflare';

const script = "export default { async fetch(req) { return Response.json({ message: 'hello' }); } };";
const mf = new Miniflare({ modules: true, script, host: '127.0.0.1', port: 0 });
const url = await mf.ready;
console.log(`miniflare listening on ${url}`);
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    await mf.dispose();
    process.exit(0);
  });
}

// @google-cloud/functions-framework serving the benchmark's hello (`hello.js`), started as its own
// `functions-framework --target=hello` starts (build/src/main.js), except that it listens on
// 127.0.0.1 on a free port and prints the URL as the first line.
const path = require('node:path');

const build = path.dirname(require.resolve('@google-cloud/functions-framework'));
const { parseOptions } = require(path.join(build, 'options.js'));
const { getUserFunction } = require(path.join(build, 'loader.js'));
const { getServer } = require(path.join(build, 'server.js'));
const { ErrorHandler } = require(path.join(build, 'invoker.js'));

async function main() {
  const options = parseOptions(['node', 'functions-framework', '--target=hello', `--source=${__dirname}/hello.js`]);
  const loaded = await getUserFunction(options.sourceLocation, options.target, options.signatureType);
  options.signatureType = loaded.signatureType;
  const server = getServer(loaded.userFunction, options);
  const errorHandler = new ErrorHandler(server);
  server.listen(0, '127.0.0.1', () => {
    errorHandler.register();
    console.log(`functions-framework listening on http://127.0.0.1:${server.address().port}/`);
  }).setTimeout(0);
  process.on('SIGTERM', () => process.exit(0));
}

main();

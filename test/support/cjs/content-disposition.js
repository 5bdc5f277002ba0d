// @fastify/static requires content-disposition, an ES module: Node 20 require()s it, jest's own
// module loader cannot. Under jest (jest.config.js moduleNameMapper) @fastify/static gets this
// CommonJS `create` instead — used only by reply.download(), which the ledger does not call.
exports.create = function create(filename, options = {}) {
  const type = options.type ?? 'attachment';
  if (filename === undefined) return type;
  const name = require('node:path').basename(String(filename));
  const ascii = name.replace(/[^\x20-\x7e]/g, '?').replace(/["\\]/g, '\\$&');
  if (ascii === name || options.fallback === false) return `${type}; filename="${ascii}"`;
  return `${type}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
};

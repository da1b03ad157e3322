// Preloaded into Qwen Code under test (NODE_OPTIONS=--require): a TCP
// connection or a name lookup for anything but loopback is refused and written
// to $QAS_NET_GUARD_LOG, so a request that bypassed the test proxy fails the
// test instead of leaving the machine. Plain CommonJS: it runs before Qwen
// Code's own code, with nothing but node's built-ins.
'use strict';
const net = require('node:net');
const dns = require('node:dns');
const { appendFileSync } = require('node:fs');

const LOG = process.env.QAS_NET_GUARD_LOG;
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|::1|::ffff:127(?:\.\d{1,3}){3})$/i;
const isLoopback = (host) => LOOPBACK.test(String(host).replace(/^\[(.*)\]$/, '$1'));

function note(what) {
  if (LOG) appendFileSync(LOG, `${what}\n`);
}

function refusal(what) {
  return Object.assign(new Error(`qas net guard: ${what} refused (tests never leave 127.0.0.1)`), { code: 'ECONNREFUSED' });
}

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  // net.connect() passes its already-normalised [options, callback] array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  let host;
  let port;
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    port = first;
    host = typeof args[1] === 'string' ? args[1] : 'localhost';
  } else if (first && typeof first === 'object' && first.path === undefined) {
    port = first.port;
    host = first.host ?? 'localhost';
  }
  if (host !== undefined && !isLoopback(host)) {
    note(`connect ${host}:${port}`);
    process.nextTick(() => this.destroy(refusal(`connection to ${host}:${port}`)));
    return this;
  }
  return connect.apply(this, args);
};

const lookup = dns.lookup;
dns.lookup = function guardedLookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  if (!isLoopback(hostname)) {
    note(`lookup ${hostname}`);
    process.nextTick(() => cb(Object.assign(refusal(`lookup of ${hostname}`), { code: 'ENOTFOUND', hostname })));
    return {};
  }
  return lookup.call(this, hostname, options, callback);
};

const lookupPromise = dns.promises.lookup;
dns.promises.lookup = function guardedLookupPromise(hostname, options) {
  if (!isLoopback(hostname)) {
    note(`lookup ${hostname}`);
    return Promise.reject(Object.assign(refusal(`lookup of ${hostname}`), { code: 'ENOTFOUND', hostname }));
  }
  return lookupPromise.call(this, hostname, options);
};

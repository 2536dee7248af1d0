/**
 * The Host allow-list: a server bound to loopback is still reachable from a web page on another site through
 * DNS rebinding (the attacker's name resolves to 127.0.0.1, and the browser sends `Host: attacker.example`).
 * Answering only requests whose Host is a loopback name, an IP address (a literal address cannot be rebound) or
 * a name the operator allowed closes that door.
 */
import { isIP } from 'node:net';

/** Names every server answers to. */
export const LOOPBACK_NAMES: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** A checker of Host headers for the given extra names (`*` allows any). */
export function hostAllowList(allowed: readonly string[] = []): (hostHeader: string | undefined) => boolean {
  const names = new Set([...LOOPBACK_NAMES, ...allowed].map((n) => n.toLowerCase()));
  if (names.has('*')) return () => true;
  return (hostHeader) => {
    if (hostHeader === undefined || hostHeader === '') return false;
    const name = hostName(hostHeader.toLowerCase());
    return names.has(name) || isIP(name) !== 0 || name.endsWith('.localhost');
  };
}

/** The name of a Host header without its port: `example.org:8080` → `example.org`, `[::1]:80` → `::1`. */
function hostName(header: string): string {
  if (header.startsWith('[')) {
    const end = header.indexOf(']');
    return end < 0 ? header : header.slice(1, end);
  }
  const colon = header.lastIndexOf(':');
  return colon < 0 ? header : header.slice(0, colon);
}

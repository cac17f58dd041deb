/**
 * Webhooks may not reach into the platform's own network: a webhook's host must resolve only to
 * public unicast addresses (no loopback, private, link-local, unique-local or metadata addresses),
 * unless the operator turned POSTKASSE_WEBHOOKS_ALLOW_PRIVATE on (development, tests). Checked when
 * the webhook is registered and again before every delivery, since DNS answers change.
 */
import { lookup } from 'node:dns/promises';
import { AppError } from '@postkasse/core';
import ipaddr from 'ipaddr.js';

function isPublic(address: string): boolean {
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress()) {
    parsed = (parsed as ipaddr.IPv6).toIPv4Address();
  }
  return parsed.range() === 'unicast';
}

/** Throws when the URL's host is (or resolves to) anything but public unicast addresses. */
export async function assertPublicDestination(raw: string): Promise<void> {
  const host = new URL(raw).hostname.replace(/^\[|\]$/g, '');
  const addresses = ipaddr.isValid(host)
    ? [host]
    : await lookup(host, { all: true, verbatim: true }).then(
        (all) => all.map((a) => a.address),
        () => {
          throw new AppError('validation_failed', `The webhook host ${host} does not resolve`, {
            errors: [{ path: 'url', code: 'unresolvable_host', message: 'the host does not resolve' }],
          });
        },
      );
  if (addresses.length === 0 || !addresses.every(isPublic)) {
    throw new AppError('validation_failed', 'Webhooks must go to a public address', {
      errors: [
        { path: 'url', code: 'private_address', message: 'loopback, private and link-local addresses are refused' },
      ],
    });
  }
}

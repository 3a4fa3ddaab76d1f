/** license_is_gpl_compatible: the licenses under which a program may use GPL-only helpers, kfuncs and kernel types. */
const GPL_COMPATIBLE: ReadonlySet<string> = new Set(['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL']);

export const gplCompatible = (license: string): boolean => GPL_COMPATIBLE.has(license);

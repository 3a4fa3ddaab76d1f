/** The VM's errors live in the runtime (helpers raise them too); re-exported here for VM users. */
export { VmError, type VmErrorKind } from '../runtime/errors.js';

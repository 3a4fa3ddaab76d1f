import type { Command } from '../io.js';
import { notBuilt } from './not-built.js';

export const command: Command = notBuilt('bench');

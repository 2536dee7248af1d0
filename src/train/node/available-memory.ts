/**
 * The memory this process may use (Node): the machine's physical memory, or the cgroup limit when one is lower
 * (a container). Allocations estimated to exceed it are refused before they are made, with the estimate in the
 * message, instead of failing half-way (or being killed) after gigabytes were allocated.
 */
import { totalmem } from 'node:os';

export function availableMemoryBytes(): number {
  const constrained = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  const total = totalmem();
  return constrained !== undefined && constrained > 0 && constrained < total ? constrained : total;
}

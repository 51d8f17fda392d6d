/**
 * A FIFO whose oldest items can be dropped in O(1): `record()` drops one per call when the
 * recorder's buffer is full, which `Array.prototype.shift` would make cost the buffer's length.
 */
export class OldestFirstBuffer<T> {
  private items: (T | undefined)[] = [];
  private start = 0;

  get length(): number {
    return this.items.length - this.start;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Drops up to `count` of the oldest items; returns how many went. `onDrop` sees each one. */
  dropOldest(count: number, onDrop?: (item: T) => void): number {
    const dropped = Math.min(count, this.length);
    for (let index = this.start; index < this.start + dropped; index += 1) {
      if (onDrop !== undefined) onDrop(this.items[index] as T);
      this.items[index] = undefined;
    }
    this.start += dropped;
    // Compact once the dropped prefix is most of the array.
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
    return dropped;
  }

  /** Removes and returns everything, oldest first. */
  takeAll(): T[] {
    const all = (this.start === 0 ? this.items : this.items.slice(this.start)) as T[];
    this.items = [];
    this.start = 0;
    return all;
  }

  /** Puts items back in front of what is there (they are older). */
  unshiftAll(older: readonly T[]): void {
    this.items = [...older, ...this.items.slice(this.start)];
    this.start = 0;
  }
}

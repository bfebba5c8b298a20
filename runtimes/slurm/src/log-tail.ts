import { closeSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";

/**
 * Follows a file Slurm writes a job's output to, from the start, passing each new piece on; the
 * file may not exist until the job starts. `tail()` after the job ended drains it.
 */
export class LogTail {
  private offset = 0;
  private readonly decoder = new StringDecoder("utf8");
  private readonly buffer = Buffer.alloc(64 * 1024);
  /** The last bytes read, for failure messages. */
  last = "";

  constructor(
    private readonly path: string,
    private readonly emit: (text: string) => void,
  ) {}

  tail(): void {
    let fd: number;
    try {
      fd = openSync(this.path, "r");
    } catch {
      return;
    }
    try {
      for (;;) {
        const read = readSync(fd, this.buffer, 0, this.buffer.length, this.offset);
        if (read <= 0) break;
        this.offset += read;
        const text = this.decoder.write(this.buffer.subarray(0, read));
        if (text) {
          this.last = (this.last + text).slice(-2000);
          this.emit(text);
        }
      }
    } finally {
      closeSync(fd);
    }
  }
}

// How long the page's frames take, for bench/tv_endurance.py: per frame, the
// script's time and the time until the frame is drawn (script, style, layout
// and paint), measured by a message that runs right after the browser has
// rendered the frame. A ring of the newest samples, so it never grows.

const SAMPLES = 4096;

export class FrameSamples {
  constructor() {
    this.script = new Float64Array(SAMPLES);
    this.frame = new Float64Array(SAMPLES);
    this.count = 0;
    this.drawn = new MessageChannel();
    this.drawn.port1.onmessage = (event) => {
      const [index, started] = event.data;
      this.frame[index % SAMPLES] = performance.now() - started;
    };
  }

  measure(work) {
    const started = performance.now();
    const result = work();
    this.script[this.count % SAMPLES] = performance.now() - started;
    this.drawn.port2.postMessage([this.count, started]);
    this.count += 1;
    return result;
  }
}

// A chime on a new critical breach, made with Web Audio (no sound file).
// Browsers only let a page play sound after someone has interacted with it,
// so a wallboard that wants sound shows a button until someone clicks it once
// (a kiosk browser started with an autoplay policy needs no click at all).

export class BreachChime {
  constructor(button) {
    this.button = button;
    this.context = null;
    this.wanted = false;
    this.played = 0;
    button.addEventListener("click", () => this.enable());
  }

  setWanted(wanted) {
    this.wanted = wanted;
    if (wanted && this.context === null && "AudioContext" in window) {
      this.context = new AudioContext();
      this.context.addEventListener("statechange", () => this.showButton());
    }
    this.showButton();
  }

  get ready() {
    return this.context !== null && this.context.state === "running";
  }

  showButton() {
    this.button.hidden = !this.wanted || this.context === null || this.ready;
  }

  enable() {
    if (this.context !== null) {
      this.context.resume().then(() => this.showButton());
    }
  }

  // Two short rising tones: noticeable without being an alarm.
  play() {
    if (!this.wanted || !this.ready) {
      return;
    }
    this.played += 1;
    const start = this.context.currentTime;
    [660, 880].forEach((frequency, index) => {
      const at = start + index * 0.22;
      const tone = this.context.createOscillator();
      const gain = this.context.createGain();
      tone.type = "sine";
      tone.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.2);
      tone.connect(gain).connect(this.context.destination);
      tone.start(at);
      tone.stop(at + 0.21);
    });
  }
}

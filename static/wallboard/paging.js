// Pages of rows for a panel whose rows do not all fit on a TV: which page is
// shown, and turning to the next one.

export class Pager {
  constructor() {
    this.perPage = 1;
    this.pages = 1;
    this.index = 0;
  }

  set(perPage, pages) {
    this.perPage = Math.max(1, perPage);
    this.pages = Math.max(1, pages);
    this.index = Math.min(this.index, this.pages - 1);
  }

  pick(rows) {
    const start = this.index * this.perPage;
    return rows.slice(start, start + this.perPage);
  }

  turn() {
    this.index = (this.index + 1) % this.pages;
  }
}

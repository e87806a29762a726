/**
 * The drawing pad: a square canvas drawn on with a mouse, a pen or a finger (pointer events cover all
 * three), white round strokes on black like MNIST's digits. `onChange` fires (at most once per frame)
 * while a stroke is drawn and when the pad is cleared.
 */

/** Stroke width as a fraction of the pad's side: a digit drawn across most of the pad gets MNIST-like strokes. */
const STROKE = 0.075;

export class DrawingPad {
  private readonly context: CanvasRenderingContext2D;
  private last: { x: number; y: number } | undefined;
  private frameRequested = false;

  constructor(readonly canvas: HTMLCanvasElement, private readonly onChange: () => void) {
    const context = canvas.getContext('2d', { willReadFrequently: true });
    if (context === null) throw new Error('this browser cannot draw on a canvas');
    this.context = context;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      this.last = this.position(e);
      this.stroke(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (this.last === undefined) return;
      e.preventDefault();
      // Coalesced events: every point the pointer passed since the last frame, for smooth fast strokes.
      const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
      for (const event of events.length > 0 ? events : [e]) {
        const point = this.position(event);
        this.stroke(this.last, point);
        this.last = point;
      }
    });
    const end = (): void => {
      this.last = undefined;
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  clear(): void {
    this.context.fillStyle = '#000';
    this.context.fillRect(0, 0, this.canvas.width, this.canvas.height);
    this.changed();
  }

  /** The canvas's RGBA pixels. */
  pixels(): Uint8ClampedArray {
    return this.context.getImageData(0, 0, this.canvas.width, this.canvas.height).data;
  }

  /** Canvas coordinates of a pointer event (the canvas may be shown larger or smaller than its pixels). */
  private position(e: PointerEvent): { x: number; y: number } {
    const box = this.canvas.getBoundingClientRect();
    return {
      x: ((e.clientX - box.left) * this.canvas.width) / box.width,
      y: ((e.clientY - box.top) * this.canvas.height) / box.height,
    };
  }

  private stroke(from: { x: number; y: number }, to: { x: number; y: number }): void {
    const c = this.context;
    c.strokeStyle = '#fff';
    c.lineWidth = STROKE * this.canvas.width;
    c.lineCap = 'round';
    c.lineJoin = 'round';
    c.beginPath();
    c.moveTo(from.x, from.y);
    c.lineTo(to.x, to.y);
    c.stroke();
    this.changed();
  }

  private changed(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.onChange();
    });
  }
}

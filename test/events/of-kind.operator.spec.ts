import { Subject, toArray } from 'rxjs';
import { CustomEvent, JobEnqueued, JobEvent, ofKind } from '../../lib/index.js';

describe('ofKind', () => {
  it('keeps only instances of the given classes', async () => {
    const source = new Subject<JobEvent>();
    const collected: JobEvent[] = [];
    source.pipe(ofKind(CustomEvent)).subscribe((event) => collected.push(event));

    source.next(new JobEnqueued('a', 'type', 'default', 0, null));
    source.next(new CustomEvent('b', 'progress', { step: 1 }));
    source.complete();

    expect(collected).toHaveLength(1);
    expect(collected[0]).toBeInstanceOf(CustomEvent);
  });

  it('accepts several classes and keeps their order', () => {
    const source = new Subject<JobEvent>();
    const kinds: string[] = [];
    source.pipe(ofKind(CustomEvent, JobEnqueued), toArray()).subscribe((events) => {
      kinds.push(...events.map((event) => event.kind));
    });
    source.next(new CustomEvent('b', 'first', {}));
    source.next(new JobEnqueued('a', 'type', 'default', 0, null));
    source.next(new CustomEvent('c', 'third', {}));
    source.complete();
    expect(kinds).toEqual(['first', 'job.enqueued', 'third']);
  });

  it('narrows the event type', () => {
    const source = new Subject<JobEvent>();
    const queues: string[] = [];
    // Compiles only because ofKind narrows JobEvent to JobEnqueued.
    source.pipe(ofKind(JobEnqueued)).subscribe((event) => queues.push(event.queue));
    source.next(new JobEnqueued('a', 'type', 'mail', 0, null));
    expect(queues).toEqual(['mail']);
  });
});

// The logbook in the renderer: the search with its filters, the open thread, and the draft being written
// (new entry, reply or edit) with its attachments. Plot and screen snapshots land in the draft from anywhere
// in the app. Entries written elsewhere arrive over `logbook.live` and refresh what is shown.
import { defineStore } from 'pinia';
import { reactive, ref, shallowRef, watch } from 'vue';
import type { ApiClient } from '@shared/api/contract';
import type { Attachment, EntryLink, LogEntry, SearchHit } from '@shared/api/logbook';
import { LOGBOOK_LIMITS } from '@shared/api/logbook';
import { base64ToBytes, blobToBase64, saveBytes } from '../logbook/files';
import { useConnectionStore } from './connection';

export interface Draft {
  mode: 'new' | 'reply' | 'edit';
  /** The entry replied to (reply) or edited (edit). */
  target: LogEntry | null;
  title: string;
  body: string;
  /** Comma- or space-separated, as typed. */
  tags: string;
  run: number | null;
  spill: number | null;
  attachments: Attachment[];
  /** Links of an edited entry other than its first run/spill link (kept as they are). */
  otherLinks: EntryLink[];
}

export interface Filters {
  q: string;
  /** yyyy-mm-dd from the date inputs, local days. */
  from: string;
  to: string;
  author: string;
  tag: string;
  run: number | null;
  origin: '' | 'person' | 'system';
  attachments: boolean;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

function localDay(day: string, plusDays = 0): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).getTime() : undefined;
}

export const useLogbookStore = defineStore('logbook', () => {
  const connection = useConnectionStore();
  const filters = reactive<Filters>({ q: '', from: '', to: '', author: '', tag: '', run: null, origin: '', attachments: false });
  const hits = shallowRef<readonly SearchHit[]>([]);
  const more = ref(false);
  const tookMs = ref<number | null>(null);
  const searchError = ref('');
  const thread = shallowRef<readonly LogEntry[]>([]);
  const threadError = ref('');
  const draft = ref<Draft | null>(null);
  const saving = ref(false);
  const draftError = ref('');
  const uploading = ref(0);
  /** A line for the shifter after something happened elsewhere (a snapshot went into the draft). */
  const notice = ref('');

  function api(): ApiClient {
    const client = connection.api;
    if (!client) throw new Error('not connected to the core');
    return client;
  }

  async function search(): Promise<void> {
    try {
      const result = await api().logbook.search({
        q: filters.q,
        limit: 100,
        ...(localDay(filters.from) !== undefined ? { from: localDay(filters.from) } : {}),
        ...(localDay(filters.to, 1) !== undefined ? { to: localDay(filters.to, 1) } : {}),
        ...(filters.author.trim() ? { author: filters.author.trim() } : {}),
        ...(filters.tag.trim() ? { tag: filters.tag.trim() } : {}),
        ...(filters.run ? { run: filters.run } : {}),
        ...(filters.origin ? { origin: filters.origin } : {}),
        ...(filters.attachments ? { hasAttachment: true } : {}),
      });
      hits.value = Object.freeze(result.hits);
      more.value = result.more;
      tookMs.value = result.tookMs;
      searchError.value = '';
    } catch (e) {
      // Old results under a refused search would look like its answer.
      hits.value = [];
      more.value = false;
      tookMs.value = null;
      searchError.value = message(e);
    }
  }

  function clearFilters(): void {
    Object.assign(filters, { q: '', from: '', to: '', author: '', tag: '', run: null, origin: '', attachments: false });
    void search();
  }

  async function openThread(id: number): Promise<void> {
    try {
      thread.value = Object.freeze(await api().logbook.thread({ id }));
      threadError.value = '';
    } catch (e) {
      thread.value = [];
      threadError.value = message(e);
    }
  }

  function startDraft(mode: Draft['mode'], target: LogEntry | null = null): Draft {
    const first = target?.links.find((l) => l.kind === 'run' || l.kind === 'spill');
    draft.value = {
      mode,
      target,
      title: mode === 'edit' ? target!.title : mode === 'reply' ? `Re: ${target!.title}`.slice(0, LOGBOOK_LIMITS.titleChars) : '',
      body: mode === 'edit' ? target!.body : '',
      tags: mode === 'edit' ? target!.tags.join(', ') : '',
      run: mode === 'edit' && first && 'run' in first ? first.run : null,
      spill: mode === 'edit' && first?.kind === 'spill' ? first.spill : null,
      attachments: mode === 'edit' ? [...target!.attachments] : [],
      otherLinks: mode === 'edit' ? target!.links.filter((l) => l !== first) : [],
    };
    draftError.value = '';
    return draft.value;
  }

  function cancelDraft(): void {
    draft.value = null;
    notice.value = '';
    draftError.value = '';
  }

  async function save(): Promise<boolean> {
    const d = draft.value;
    if (!d || saving.value) return false;
    saving.value = true;
    try {
      const links: EntryLink[] = [...d.otherLinks];
      if (d.run) links.unshift(d.spill ? { kind: 'spill', run: d.run, spill: d.spill } : { kind: 'run', run: d.run });
      const content = {
        title: d.title,
        body: d.body,
        tags: d.tags.split(/[\s,]+/).filter(Boolean),
        links,
        attachments: d.attachments.map((a) => ({ hash: a.hash, name: a.name })),
      };
      const entry =
        d.mode === 'edit'
          ? await api().logbook.edit({ ...content, id: d.target!.id, revision: d.target!.revision })
          : await api().logbook.write({ ...content, ...(d.mode === 'reply' ? { replyTo: d.target!.id } : {}) });
      draft.value = null;
      draftError.value = '';
      notice.value = '';
      await Promise.all([openThread(entry.threadId), search()]);
      return true;
    } catch (e) {
      draftError.value = message(e);
      return false;
    } finally {
      saving.value = false;
    }
  }

  /** Upload a file into the draft (a new entry's if none is being written). */
  async function attach(name: string, data: string): Promise<Attachment | null> {
    const d = draft.value ?? startDraft('new');
    uploading.value += 1;
    try {
      const attachment = await api().logbook.upload({ name, data });
      if (!d.attachments.some((a) => a.hash === attachment.hash)) d.attachments.push(attachment);
      draftError.value = '';
      return attachment;
    } catch (e) {
      draftError.value = `${name}: ${message(e)}`;
      return null;
    } finally {
      uploading.value -= 1;
    }
  }

  async function attachFiles(files: readonly File[]): Promise<void> {
    for (const file of files) {
      if (file.size > LOGBOOK_LIMITS.attachmentBytes) {
        draftError.value = `${file.name} is ${(file.size / 1024 / 1024).toFixed(1)} MiB; attachments are at most ${LOGBOOK_LIMITS.attachmentBytes / 1024 / 1024} MiB`;
        continue;
      }
      await attach(file.name, await blobToBase64(file));
    }
  }

  /** A PNG snapshot of a plot or the screen, into the entry being written (or a new one). */
  async function attachSnapshot(name: string, pngBase64: string): Promise<boolean> {
    const target = draft.value ? (draft.value.mode === 'new' ? 'the new entry' : `your ${draft.value.mode}`) : 'a new entry';
    const done = (await attach(name, pngBase64)) !== null;
    notice.value = done ? `Snapshot ${name} attached to ${target}.` : `The snapshot could not be attached: ${draftError.value}`;
    return done;
  }

  function detach(hash: string): void {
    if (draft.value) draft.value.attachments = draft.value.attachments.filter((a) => a.hash !== hash);
  }

  async function setThreadState(entry: LogEntry, state: 'open' | 'closed'): Promise<void> {
    try {
      await api().logbook.setThreadState({ id: entry.id, state });
      await Promise.all([openThread(entry.threadId), search()]);
    } catch (e) {
      threadError.value = message(e);
    }
  }

  async function writeSummary(): Promise<void> {
    try {
      const entry = await api().logbook.summary({});
      await Promise.all([openThread(entry.id), search()]);
    } catch (e) {
      threadError.value = message(e);
    }
  }

  async function exportEntries(what: { run?: number; from?: string; to?: string; format: 'zip' | 'html' }): Promise<string> {
    const file = await api().logbook.export({
      format: what.format,
      ...(what.run ? { run: what.run } : {}),
      ...(what.from && localDay(what.from) !== undefined ? { from: localDay(what.from) } : {}),
      ...(what.to && localDay(what.to, 1) !== undefined ? { to: localDay(what.to, 1) } : {}),
    });
    saveBytes(base64ToBytes(file.data), file.fileName, 'application/octet-stream');
    return `${file.entries} entries exported to ${file.fileName}`;
  }

  // New and edited entries from everyone: refresh the list and the open thread.
  async function follow(client: ApiClient): Promise<void> {
    try {
      for await (const event of await client.logbook.live()) {
        if (connection.api !== client) return;
        if (thread.value[0]?.threadId === event.entry.threadId) void openThread(event.entry.threadId);
        void search();
      }
    } catch {
      // The stream ends with the connection; the next connection starts a new one.
    }
  }

  // (Watch a list: a getter that returns the client itself would make Vue probe it as a promise.)
  watch(
    () => [connection.api] as const,
    ([client]) => {
      if (!client) return;
      void search();
      void follow(client);
    },
    { immediate: true },
  );

  return {
    filters,
    hits,
    more,
    tookMs,
    searchError,
    thread,
    threadError,
    draft,
    saving,
    draftError,
    uploading,
    notice,
    search,
    clearFilters,
    openThread,
    startDraft,
    cancelDraft,
    save,
    attachFiles,
    attachSnapshot,
    detach,
    setThreadState,
    writeSummary,
    exportEntries,
  };
});

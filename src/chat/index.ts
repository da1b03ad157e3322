/** Chats: the store on disk, turns, context folding and history fitting (PROTOCOL.md "Chat (v2)"). */
export { CancelledBeforeStart, type ChatBackend, Chats, type PreparedModel } from './chats.js';
export { fileLabel, foldContext } from './context.js';
export { estimateTokens, type FitResult, fitHistory } from './history.js';
export { ChatStore, chatsDir, StoredChat } from './store.js';

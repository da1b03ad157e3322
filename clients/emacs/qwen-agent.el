;;; qwen-agent.el --- Sign in to AI coding models and pick one -*- lexical-binding: t; -*-

;; Copyright (C) 2025 The qwen-agent-server authors

;; Author: The qwen-agent-server authors
;; Maintainer: The qwen-agent-server authors
;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (jsonrpc "1.0.14"))
;; Keywords: tools, convenience
;; URL: https://github.com/qwen-agent-server/qwen-agent-server
;; SPDX-License-Identifier: Apache-2.0

;; This file is not part of GNU Emacs.

;; Licensed under the Apache License, Version 2.0 (the "License");
;; you may not use this file except in compliance with the License.
;; You may obtain a copy of the License at
;;
;;     http://www.apache.org/licenses/LICENSE-2.0
;;
;; Unless required by applicable law or agreed to in writing, software
;; distributed under the License is distributed on an "AS IS" BASIS,
;; WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
;; See the License for the specific language governing permissions and
;; limitations under the License.

;;; Commentary:

;; An Emacs client for qwen-agent-server, the backend that owns who you
;; are signed in as and which model you talk to: Qwen OAuth, API keys
;; for the Alibaba Cloud Coding Plan and other providers, the layered
;; settings that decide them, and the model list and selection.  It
;; reads and writes the same files as Qwen Code, so a choice made here
;; is the one Qwen Code (and every other editor) starts with.
;;
;; The package holds no provider logic: it spawns
;; `qwen-agent-server --stdio' and talks to it with JSON-RPC through
;; the built-in `jsonrpc' library.
;;
;; Commands:
;;
;;   M-x qwen-agent-login          sign in (the server's menu: Qwen OAuth,
;;                                 Coding Plan and the other presets, API keys)
;;   M-x qwen-agent-logout         sign out
;;   M-x qwen-agent-select-model   pick a model (C-u: choose where to save it)
;;   M-x qwen-agent-test-model     send one tiny request to check a model
;;   M-x qwen-agent-status         who you are signed in as, and the model
;;   M-x qwen-agent-show-config    the resolved configuration with sources
;;   M-x qwen-agent-trust-folder   trust the project's own settings
;;   M-x qwen-agent-chat           chat with the model (the region, when
;;                                 active, goes along as context)
;;   M-x qwen-agent-chat-region    attach the region to the next message
;;   M-x qwen-agent-chat-list      resume a saved chat
;;   M-x qwen-agent-restart        restart the server
;;   M-x qwen-agent-shutdown       stop the server
;;
;; `qwen-agent-mode' is a global minor mode showing the model and the
;; sign-in state in the mode line.  `qwen-agent-command-map' holds the
;; commands on single keys, bound to no prefix until you bind it:
;;
;;   (global-set-key (kbd "C-c q") qwen-agent-command-map)
;;
;; See README.md beside this file for installation.

;;; Code:

(require 'cl-lib)
(require 'jsonrpc)
(require 'project)
(require 'subr-x)
(require 'url-util)
(require 'browse-url)
(require 'parse-time)
(require 'seq)

(defvar jsonrpc-event-hook)             ; jsonrpc >= 1.0.19 only.

;;;; Customization

(defgroup qwen-agent nil
  "Sign in to AI coding models and pick one, through qwen-agent-server."
  :group 'tools
  :prefix "qwen-agent-"
  :link '(url-link :tag "Protocol" "https://github.com/qwen-agent-server/qwen-agent-server"))

(defcustom qwen-agent-server-command nil
  "Command that starts qwen-agent-server, as a list of strings.
The package adds \"--stdio\" and `qwen-agent-server-args' after it.
When nil, use \"qwen-agent-server\" when it is on the variable
`exec-path', else
\"node\" on the server built beside this package (the file
dist/server.js two folders above this one)."
  :type '(choice (const :tag "Automatic" nil)
                 (repeat :tag "Program and arguments" string)))

(defcustom qwen-agent-server-args nil
  "Extra command-line arguments for qwen-agent-server.
For example (\"--log-file\" \"/tmp/qwen-agent.log\") or
\(\"--model\" \"qwen3-coder-plus\")."
  :type '(repeat string))

(defcustom qwen-agent-server-environment nil
  "Extra environment variables for the server, as \"NAME=VALUE\" strings.
They are added in front of `process-environment' when the server
starts."
  :type '(repeat string))

(defcustom qwen-agent-initialization-options nil
  "Per-process options sent to the server in `initialize'.
A plist such as (:model \"qwen3-coder-plus\" :authType \"openai\").
It wins over the settings files, like the same command-line flags."
  :type '(plist :key-type symbol :value-type string))

(defcustom qwen-agent-server-scope 'global
  "How many servers to run.
`global' runs one server for the whole Emacs session, rooted in
the project where it was first needed.  `project' runs one server
per project root (as found by `project-current'), so that each
project's own settings and .env file apply to its buffers."
  :type '(choice (const :tag "One server for Emacs" global)
                 (const :tag "One server per project" project)))

(defcustom qwen-agent-open-browser t
  "Whether to open the sign-in page in a browser during Qwen OAuth.
When t, the page opens with `browse-url' in a graphical frame; in a
terminal frame the link is only shown.  When `always', the page
opens in a terminal frame too.  When nil, the link is only shown."
  :type '(choice (const :tag "In graphical frames" t)
                 (const :tag "Always" always)
                 (const :tag "Never" nil)))

(defcustom qwen-agent-clipboard 'auto
"Whether the Qwen OAuth code also goes to the terminal's clipboard.
The code is always put in the kill ring, which reaches the system
clipboard in a graphical frame.  A terminal frame has no clipboard
of its own; there the code is also sent to the terminal as an OSC 52
escape sequence, which most terminals (and tmux with its
set-clipboard option) put in the system clipboard.  `auto' does so
in terminal frames, t in every frame, and nil never."
  :type '(choice (const :tag "In terminal frames" auto)
                 (const :tag "Always" t)
                 (const :tag "Never" nil)))

(defcustom qwen-agent-mode-start-server 'idle
  "When `qwen-agent-mode' starts the server.
`idle' starts it once Emacs has been idle for a second after the
mode was turned on, so that turning the mode on in an init file
costs nothing at start-up.  nil leaves it to the first command that
needs the server; until then the lighter shows `Qwen[off]'."
  :type '(choice (const :tag "When Emacs is idle" idle)
                 (const :tag "On the first command" nil)))

(defcustom qwen-agent-request-timeout 15
  "Seconds to wait for the server to answer an ordinary request."
  :type 'number)

(defcustom qwen-agent-model-test-timeout 120
  "Seconds to wait for the answer of `qwen-agent-test-model'."
  :type 'number)

(defcustom qwen-agent-log-buffer-size 200000
  "Maximum size in characters of the server's events buffer.
0 turns logging off and nil keeps everything.  Secrets sent to
the server are never logged, whatever this says."
  :type '(choice (const :tag "Unlimited" nil) integer))

(defcustom qwen-agent-model-changed-functions nil
  "Functions called when the selected model changes.
Each is called with one argument: the selection, a plist with
:authType, :id, :baseUrl and :source (as the protocol's ModelRef),
or nil when no model is selected."
  :type 'hook)

(defcustom qwen-agent-auth-changed-functions nil
  "Functions called when a credential changes.
Each is called with one argument, the plist of the server's
`auth/didChange' notification: :method, :authType, :envKey, :state
and, for the end of a login, :loginId and :reason."
  :type 'hook)

(defface qwen-agent-signed-out
  '((t :inherit warning))
  "Face for the mode-line lighter when the model has no credential.")

(defface qwen-agent-heading
  '((t :inherit bold))
  "Face for headings in qwen-agent's buffers.")

;;;; Connection objects

(defconst qwen-agent--package-dir
  (let* ((file (or load-file-name buffer-file-name))
         (source (and file (concat (file-name-sans-extension file) ".el"))))
    ;; The source's true name: straight.el and Elpaca link it from the
    ;; repository into a build folder.
    (file-name-directory
     (file-truename (cond ((and source (file-exists-p source)) source)
                          (file)
                          (t default-directory)))))
  "The folder of this package's source, in its repository when linked.")

(defclass qwen-agent--connection (jsonrpc-process-connection)
  ((key :initarg :key :accessor qwen-agent--key
        :documentation "The key of this server in `qwen-agent--connections'.")
   (root :initarg :root :accessor qwen-agent--root
         :documentation "The workspace folder the server was started in.")
   (proc :initform nil :accessor qwen-agent--proc
         :documentation "The server process.")
   (ready :initform nil :accessor qwen-agent--ready
          :documentation "t once initialized, or the error plist of `initialize'.")
   (queue :initform nil :accessor qwen-agent--queue
          :documentation "Functions to call once initialized, newest first.")
   (info :initform nil :accessor qwen-agent--info
         :documentation "The result of `initialize'.")
   (selected :initform nil :accessor qwen-agent--selected
             :documentation "The selected model (a ModelRef plist) or nil.")
   (model :initform nil :accessor qwen-agent--model
          :documentation "The selected model's entry from `model/list'.")
   (auth :initform nil :accessor qwen-agent--auth
         :documentation "The last result of `auth/status'.")
   (diagnostics :initform nil :accessor qwen-agent--diagnostics
                :documentation "Alist of (URI . DIAGNOSTICS) from the server.")
   (login :initform nil :accessor qwen-agent--login
          :documentation "The pending Qwen OAuth login: a plist, or nil.")
   (opened :initform nil :accessor qwen-agent--opened
           :documentation "The last address opened for the server.")
   (refresh-timer :initform nil :accessor qwen-agent--refresh-timer
                  :documentation "Timer of a pending state refresh.")
   (generation :initform 0 :accessor qwen-agent--generation
               :documentation "Count of state changes seen; a refresh
answered after a newer change is stale and dropped.")
   (stopping :initform nil :accessor qwen-agent--stopping
             :documentation "Non-nil when the shutdown was asked for."))
  :documentation "A connection to one qwen-agent-server process.")

(defvar qwen-agent--connections (make-hash-table :test #'equal)
  "Live servers: a key (`global' or a project root) to a connection.")

(defvar qwen-agent--exits (make-hash-table :test #'equal)
  "Keys of servers that exited unexpectedly, to a description.")

(defvar qwen-agent--missing nil
  "Why the server could not be started the last time, or nil.
Set when its program could not be found, so that the mode line does
not promise that a command would start it.")

(defvar-local qwen-agent--buffer-key nil
  "Cached server key of the current buffer, as (SCOPE . KEY).")

(defun qwen-agent--project-root ()
  "Return the root folder of the current buffer's project.
Fall back to `default-directory' outside a project."
  (let* ((project (ignore-errors (project-current nil)))
         (dir (if project (project-root project) default-directory)))
    (directory-file-name (expand-file-name (or dir "~")))))

(defun qwen-agent--key-of-buffer ()
  "Return the server key for the current buffer."
  (if (eq qwen-agent-server-scope 'project)
      (if (eq (car qwen-agent--buffer-key) 'project)
          (cdr qwen-agent--buffer-key)
        (let ((key (qwen-agent--project-root)))
          (setq qwen-agent--buffer-key (cons 'project key))
          key))
    'global))

(defun qwen-agent--live (&optional key)
  "Return the live connection for KEY (default: the current buffer's), or nil."
  (let* ((key (or key (qwen-agent--key-of-buffer)))
         (conn (gethash key qwen-agent--connections)))
    (if (and conn (jsonrpc-running-p conn))
        conn
      (when conn (remhash key qwen-agent--connections))
      nil)))

(defun qwen-agent--command ()
  "Return the command line of the server."
  (let ((base
         (cond
          ((stringp qwen-agent-server-command) (list qwen-agent-server-command))
          (qwen-agent-server-command qwen-agent-server-command)
          ((executable-find "qwen-agent-server") (list "qwen-agent-server"))
          (t (let ((script (expand-file-name "../../dist/server.js"
                                             qwen-agent--package-dir)))
               (unless (file-exists-p script)
                 (user-error "Cannot find qwen-agent-server: it is not on \
`exec-path' and %s does not exist; install it (npm install -g \
qwen-agent-server), build the checkout (npm run build), or set \
`qwen-agent-server-command'" (abbreviate-file-name script)))
               (list "node" script))))))
    (unless (or (file-name-absolute-p (car base)) (executable-find (car base)))
      (user-error "Cannot run `%s': it is not on `exec-path'; see \
`qwen-agent-server-command'" (car base)))
    (append base '("--stdio") qwen-agent-server-args)))

(defun qwen-agent--path-to-uri (path)
  "Return the file URI of PATH."
  (concat "file://"
          (url-hexify-string (expand-file-name path) url-path-allowed-chars)))

(defun qwen-agent--uri-to-path (uri)
  "Return the file name of file URI, or URI itself when not a file URI."
  (if (string-prefix-p "file://" uri)
      (url-unhex-string (substring uri 7))
    uri))

(defun qwen-agent--events-initargs ()
  "Return the initargs that size the events buffer, for this jsonrpc."
  (if (slot-exists-p 'jsonrpc-connection '-events-buffer-config)
      (list :events-buffer-config (list :size qwen-agent-log-buffer-size
                                        :format 'lisp))
    (list :events-buffer-scrollback-size qwen-agent-log-buffer-size)))

(defun qwen-agent--start (key root)
  "Start a server for KEY in the folder ROOT and return its connection.
The `initialize' request is sent at once; the connection queues
requests until it is answered."
  (let* ((command (qwen-agent--command))
         (name (if (eq key 'global)
                   "qwen-agent"
                 (format "qwen-agent %s" (abbreviate-file-name root))))
         (default-directory (file-name-as-directory root))
         (process-environment (append qwen-agent-server-environment
                                      process-environment))
         proc conn)
    (remhash key qwen-agent--exits)
    (setq conn
          (apply #'make-instance 'qwen-agent--connection
                 :name name
                 :key key
                 :root root
                 :process
                 (lambda ()
                   (setq proc
                         (make-process
                          :name name
                          :command command
                          :connection-type 'pipe
                          :coding 'utf-8-emacs-unix
                          :noquery t
                          :stderr (get-buffer-create
                                   (format "*%s stderr*" name)))))
                 :notification-dispatcher #'qwen-agent--handle-notification
                 :request-dispatcher #'qwen-agent--handle-request
                 :on-shutdown #'qwen-agent--on-shutdown
                 (qwen-agent--events-initargs)))
    (setf (qwen-agent--proc conn) proc)
    (puthash key conn qwen-agent--connections)
    (qwen-agent--initialize conn)
    (force-mode-line-update t)
    conn))

(defun qwen-agent--initialize (conn)
  "Send `initialize' and `initialized' to CONN, then run its queue."
  (let* ((root (qwen-agent--root conn))
         (uri (qwen-agent--path-to-uri root)))
    (jsonrpc-async-request
     conn :initialize
     (list :processId (emacs-pid)
           :clientInfo (list :name "Emacs" :version emacs-version)
           :rootPath root
           :rootUri uri
           :workspaceFolders
           (vector (list :uri uri :name (file-name-nondirectory root)))
           :capabilities
           (list :window (list :showDocument (list :support t)))
           :initializationOptions
           (or qwen-agent-initialization-options (make-hash-table)))
     :timeout qwen-agent-request-timeout
     :success-fn
     (lambda (result)
       (setf (qwen-agent--info conn) result)
       (setf (qwen-agent--ready conn) t)
       (jsonrpc-notify conn :initialized (make-hash-table))
       (let ((version (qwen-agent--protocol-version conn)))
         (unless (eql version 2)
           (message "qwen-agent: The server speaks protocol version %s; \
this package knows version 2" version)))
       (qwen-agent--run-queue conn nil)
       (qwen-agent--refresh conn))
     :error-fn
     (lambda (err)
       (unless (jsonrpc-running-p conn)
         (setq err (list :code -1
                         :message
                         (concat "the server exited during start-up"
                                 (if-let ((last (qwen-agent--last-stderr-line conn)))
                                     (concat ": " last)
                                   "")))))
       (qwen-agent--initialize-failed conn err))
     :timeout-fn
     (lambda ()
       (qwen-agent--initialize-failed
        conn (list :code -1 :message (format "the server did not answer \
within %s s of starting" qwen-agent-request-timeout)))))))

(defun qwen-agent--initialize-failed (conn err)
  "Fail CONN's queued requests with ERR and stop its server.
The next command starts a new one."
  (setf (qwen-agent--ready conn) err)
  (qwen-agent--run-queue conn err)
  (puthash (qwen-agent--key conn) (qwen-agent--error-text err) qwen-agent--exits)
  (when (process-live-p (qwen-agent--proc conn))
    (setf (qwen-agent--stopping conn) t)
    (message "qwen-agent: Stopping the server: %s" (qwen-agent--error-text err))
    (delete-process (qwen-agent--proc conn)))
  (force-mode-line-update t))

(defun qwen-agent--protocol-version (conn)
  "Return the protocol version CONN's server announced."
  (let ((caps (plist-get (qwen-agent--info conn) :capabilities)))
    (plist-get (plist-get (plist-get caps :experimental) :qwenAgent)
               :protocolVersion)))

(defun qwen-agent--run-queue (conn err)
  "Run the queued requests of CONN, or fail them with ERR."
  (let ((queue (reverse (qwen-agent--queue conn))))
    (setf (qwen-agent--queue conn) nil)
    (dolist (entry queue)
      (if err
          (when (cdr entry) (funcall (cdr entry) err))
        (funcall (car entry))))))

(defun qwen-agent--ensure (&optional key)
  "Return a live connection for KEY (default: the current buffer's).
Start the server if none runs."
  (let ((key (or key (qwen-agent--key-of-buffer))))
    (or (qwen-agent--live key)
        (condition-case err
            (prog1 (qwen-agent--start key (if (eq key 'global)
                                              (qwen-agent--project-root)
                                            key))
              (setq qwen-agent--missing nil))
          (user-error
           (setq qwen-agent--missing (error-message-string err))
           (force-mode-line-update t)
           (signal (car err) (cdr err)))))))

(defun qwen-agent--ready-conn (&optional conn)
  "Return CONN (default: the current buffer's, started if needed) once ready.
Wait for the answer to `initialize'; a server that could not start
becomes a `user-error'."
  (let ((conn (or conn (qwen-agent--ensure))))
    (while (null (qwen-agent--ready conn))
      (accept-process-output nil 0.05))
    (unless (eq (qwen-agent--ready conn) t)
      (user-error "qwen-agent: %s" (qwen-agent--error-text (qwen-agent--ready conn))))
    conn))

(defun qwen-agent--supports-p (conn method)
  "Return non-nil when CONN's server announced the request METHOD."
  (let* ((caps (plist-get (qwen-agent--info conn) :capabilities))
         (methods (plist-get (plist-get (plist-get caps :experimental) :qwenAgent)
                             :methods)))
    (and (seq-contains-p (or methods []) method) t)))

(defun qwen-agent--on-shutdown (conn)
  "Forget CONN after its process ended, and say so unless asked for."
  (let* ((key (qwen-agent--key conn))
         (proc (qwen-agent--proc conn))
         (status (and proc (process-exit-status proc)))
         (how (and proc (process-status proc))))
    (when (eq (gethash key qwen-agent--connections) conn)
      (remhash key qwen-agent--connections))
    (when (timerp (qwen-agent--refresh-timer conn))
      (cancel-timer (qwen-agent--refresh-timer conn)))
    (let ((err (list :code -1 :message "the server exited")))
      (unless (eq (qwen-agent--ready conn) t)
        (setf (qwen-agent--ready conn) err))
      (qwen-agent--run-queue conn err))
    (when-let ((login (qwen-agent--login conn)))
      (setf (qwen-agent--login conn) nil)
      (qwen-agent--login-finish login "error" "the server exited"))
    (unless (qwen-agent--stopping conn)
      (let ((desc (format "%s %s" (if (eq how 'signal) "killed by signal" "with status")
                          status))
            (last (qwen-agent--last-stderr-line conn)))
        (puthash key desc qwen-agent--exits)
        (message "qwen-agent: The server exited (%s)%s; it restarts on next use"
                 desc (if last (format ": %s" last) ""))))
    (force-mode-line-update t)))

(defun qwen-agent--last-stderr-line (conn)
  "Return the last line CONN's server wrote to its standard error, or nil."
  (let ((buf (ignore-errors (jsonrpc-stderr-buffer conn))))
    (when (buffer-live-p buf)
      (with-current-buffer buf
        (save-excursion
          (goto-char (point-max))
          (let (line)
            ;; Skip blank lines and the note of the stderr pipe's sentinel.
            (while (and (not line) (not (bobp)))
              (forward-line -1)
              (let ((text (string-trim (buffer-substring-no-properties
                                        (line-beginning-position)
                                        (line-end-position)))))
                (unless (or (string-empty-p text)
                            (string-match-p "\\`Process .* \\(finished\\|exited\\|killed\\)"
                                            text))
                  (setq line text))))
            (when line
              (truncate-string-to-width line 200 nil nil "…"))))))))

(defun qwen-agent--stop (conn)
  "Shut CONN's server down politely, then make sure it is gone."
  (setf (qwen-agent--stopping conn) t)
  (when (jsonrpc-running-p conn)
    (ignore-errors
      (qwen-agent--request "shutdown" nil :conn conn :timeout 3))
    (ignore-errors (jsonrpc-notify conn :exit nil))
    (with-timeout (3 nil)
      (while (jsonrpc-running-p conn)
        (accept-process-output nil 0.05))))
  (jsonrpc-shutdown conn))

;;;; Requests

(defvar qwen-agent--field-labels nil
  "Alist of (PARAMETER . LABEL) naming the parameters of the running request.
Bound while signing in, so that the server's complaint about a
parameter names the field as the menu showed it.")

(defun qwen-agent--issues-text (issues)
  "Return the schema ISSUES of an invalid-params error as a sentence."
  (mapconcat
   (lambda (issue)
     (let* ((path (append (plist-get issue :path) nil))
            (name (mapconcat (lambda (p) (format "%s" p)) path "."))
            (label (or (cdr (assoc (car path) qwen-agent--field-labels))
                       (and path name))))
       (if label
           (format "%s: %s" label (plist-get issue :message))
         (plist-get issue :message))))
   issues "; "))

(defun qwen-agent--error-text (err)
  "Return a readable sentence for the JSON-RPC error plist ERR.
The protocol's wording (a method name, a parameter path) is turned
into the words a person saw."
  (let* ((msg (or (plist-get err :message) "unknown error"))
         (data (plist-get err :data))
         (hint (and (listp data) (plist-get data :hint)))
         (issues (and (listp data) (append (plist-get data :issues) nil))))
    (when (and (eql (plist-get err :code) -32602) issues
               (cl-every (lambda (i) (stringp (plist-get i :message))) issues))
      (setq msg (qwen-agent--issues-text issues)))
    (setq msg (replace-regexp-in-string
               "\\`invalid params for [a-zA-Z/]+: " "" msg t t))
    (if (and (stringp hint) (not (string-empty-p hint)))
        (format "%s (%s)" msg hint)
      msg)))

(defconst qwen-agent--method-words
  '(("auth/status" . "Reading the sign-in state")
    ("auth/methods" . "Reading the sign-in menu")
    ("auth/login" . "Signing in")
    ("auth/cancel" . "Cancelling the sign-in")
    ("auth/logout" . "Signing out")
    ("model/list" . "Listing the models")
    ("model/select" . "Selecting the model")
    ("model/test" . "Testing the model")
    ("config/resolve" . "Reading the configuration")
    ("workspace/trust" . "Recording the trust decision")
    ("chat/start" . "Starting the chat")
    ("chat/send" . "Sending the message")
    ("chat/list" . "Listing the chats")
    ("chat/history" . "Reading the chat"))
  "What each request does, in words, for error messages.")

(defun qwen-agent--method-text (method)
  "Return what the request METHOD does, in words."
  (or (cdr (assoc method qwen-agent--method-words)) method))

(defun qwen-agent--scrub (text secret)
  "Return TEXT with every occurrence of SECRET replaced by an ellipsis.
SECRET is a string or a list of strings."
  (dolist (s (ensure-list secret))
    (when (and (stringp s) (not (string-empty-p s)) (stringp text))
      (setq text (string-replace s "…" text))))
  text)

(defun qwen-agent--scrub-error (err secret)
  "Return the error plist ERR with SECRET scrubbed from its texts."
  (let ((err (plist-put (copy-sequence err) :message
                        (qwen-agent--scrub (plist-get err :message) secret)))
        (data (plist-get err :data)))
    (when (and secret (listp data) (plist-get data :issues))
      (setq err (plist-put
                 err :data
                 (plist-put (copy-sequence data) :issues
                            (mapcar (lambda (i)
                                      (plist-put (copy-sequence i) :message
                                                 (qwen-agent--scrub
                                                  (plist-get i :message) secret)))
                                    (plist-get data :issues))))))
    err))

(defun qwen-agent--send-unlogged (conn thunk)
  "Call THUNK, which sends one message on CONN, without logging it.
The message holds a secret: it must not reach the events buffer.
A short line says that a message was sent unlogged."
  (let ((config-slot (and (slot-exists-p conn '-events-buffer-config)
                          '-events-buffer-config))
        (size-slot (and (slot-exists-p conn '-events-buffer-scrollback-size)
                        '-events-buffer-scrollback-size))
        saved)
    (unwind-protect
        (let ((jsonrpc-event-hook nil))
          (cond
           (config-slot
            (setq saved (slot-value conn config-slot))
            (setf (slot-value conn config-slot)
                  (plist-put (copy-sequence saved) :size 0)))
           (size-slot
            (setq saved (slot-value conn size-slot))
            (setf (slot-value conn size-slot) 0)))
          (funcall thunk))
      (cond (config-slot (setf (slot-value conn config-slot) saved))
            (size-slot (setf (slot-value conn size-slot) saved)))))
  (let ((max qwen-agent-log-buffer-size))
    (when (or (null max) (> max 0))
      (with-current-buffer (jsonrpc-events-buffer conn)
        (let ((inhibit-read-only t))
          (goto-char (point-max))
          (insert (format "[qwen-agent] %s: a request holding a secret \
was sent; it is not logged\n" (current-time-string))))))))

(cl-defun qwen-agent--async (method params &key conn on-success on-error
                                    (timeout qwen-agent-request-timeout)
                                    secret on-id)
  "Send METHOD with PARAMS to the server without waiting for the answer.
CONN is the connection (default: the current buffer's, started if
needed).  ON-SUCCESS is called with the result; ON-ERROR with the
error plist (:code :message :data); without ON-ERROR the error is
shown in the echo area.  TIMEOUT is in seconds, nil for no limit.
When SECRET is a string or a list of strings, PARAMS hold them: the
request is not logged and they are scrubbed from error messages.
ON-ID, when non-nil, is called with the request's id once it is
sent, for a later `$/cancelRequest'."
  (let* ((conn (or conn (qwen-agent--ensure)))
         (fail (lambda (err)
                 (let ((err (qwen-agent--scrub-error err secret)))
                   (if on-error
                       (funcall on-error err)
                     (message "qwen-agent: %s failed: %s"
                              (qwen-agent--method-text method)
                              (qwen-agent--error-text err))))))
         (send
          (lambda ()
            (let ((go (lambda ()
                        (let* ((args
                                (list conn (intern method) params
                                      :timeout timeout
                                      :success-fn (lambda (result)
                                                    (when on-success (funcall on-success result)))
                                      :error-fn fail
                                      :timeout-fn
                                      (lambda ()
                                        (funcall fail (list :code -1 :message
                                                            (format "no answer within %s s"
                                                                    timeout))))))
                               ;; `jsonrpc-async-request' returns nil in every
                               ;; jsonrpc version; its helper returns (ID TIMER)
                               ;; in all of them, 1.0.14 included.
                               (sent (if (and on-id (fboundp 'jsonrpc--async-request-1))
                                         (apply #'jsonrpc--async-request-1 args)
                                       (apply #'jsonrpc-async-request args))))
                          (when on-id (funcall on-id (car-safe sent)))))))
              (condition-case e
                  (if secret (qwen-agent--send-unlogged conn go) (funcall go))
                (error
                 (funcall fail (list :code -1
                                     :message (format "cannot reach the server: %s"
                                                      (error-message-string e))))))))))
    (pcase (qwen-agent--ready conn)
      ('t (funcall send))
      ('nil (push (cons send fail) (qwen-agent--queue conn)))
      (err (funcall fail err)))
    nil))

(cl-defun qwen-agent--request (method params &key conn
                                      (timeout qwen-agent-request-timeout)
                                      secret)
  "Send METHOD with PARAMS to the server and wait for the result.
CONN, TIMEOUT and SECRET are as in `qwen-agent--async'.  A server
error becomes a `user-error' with the server's message and hint.
\\[keyboard-quit] stops waiting."
  (let* ((done nil) (result nil) (err nil))
    (qwen-agent--async method params
                       :conn conn :timeout timeout :secret secret
                       :on-success (lambda (r) (setq result r done t))
                       :on-error (lambda (e) (setq err e done t)))
    (while (not done)
      (accept-process-output nil 0.05))
    (when err
      (user-error "qwen-agent: %s" (qwen-agent--error-text err)))
    result))

;;;; Server → client

(defun qwen-agent--handle-request (conn method params)
  "Answer the server's request METHOD with PARAMS on CONN."
  (pcase method
    ('window/showDocument
     (let ((uri (plist-get params :uri)))
       (if (and (stringp uri)
                (string-match-p "\\`https?://" uri)
                (qwen-agent--may-open-browser)
                (condition-case err
                    (progn (browse-url uri) t)
                  (error (message "qwen-agent: Cannot open a browser: %s"
                                  (error-message-string err))
                         nil)))
           (progn
             (setf (qwen-agent--opened conn) uri)
             (when-let ((login (qwen-agent--login conn)))
               (setf (qwen-agent--login conn) (plist-put login :opened t))
               (qwen-agent--login-render (qwen-agent--login conn)))
             (list :success t))
         (list :success :json-false))))
    (_ (jsonrpc-error :code -32601 :message
                      (format "%s is not supported by this client" method)))))

(defun qwen-agent--handle-notification (conn method params)
  "Handle the server's notification METHOD with PARAMS on CONN."
  (when (memq method '(auth/didChange model/didChange config/didChange))
    (cl-incf (qwen-agent--generation conn)))
  (pcase method
    ('auth/didChange
     (let ((login (qwen-agent--login conn)))
       (when (and login
                  (equal (plist-get params :loginId) (plist-get login :loginId)))
         (setf (qwen-agent--login conn) nil)
         (qwen-agent--login-finish login (plist-get params :state)
                                   (plist-get params :reason))))
     (qwen-agent--run-hook 'qwen-agent-auth-changed-functions params)
     (qwen-agent--schedule-refresh conn))
    ('model/didChange
     (qwen-agent--set-selected conn (plist-get params :selected))
     (qwen-agent--schedule-refresh conn))
    ('config/didChange
     (qwen-agent--schedule-refresh conn))
    ('textDocument/publishDiagnostics
     (let* ((uri (plist-get params :uri))
            (diags (append (plist-get params :diagnostics) nil))
            (old (cdr (assoc uri (qwen-agent--diagnostics conn)))))
       (setf (qwen-agent--diagnostics conn)
             (cons (cons uri diags)
                   (assoc-delete-all uri (qwen-agent--diagnostics conn))))
       ;; A terminal has no tooltips: say once, in words, what the `!'
       ;; of the lighter is about.
       (when-let ((new (cl-find-if
                        (lambda (d)
                          (and (qwen-agent--error-diagnostic-p d)
                               (not (cl-find (plist-get d :message) old
                                             :key (lambda (o) (plist-get o :message))
                                             :test #'equal))))
                        diags)))
         (message "qwen-agent: %s: %s (M-x qwen-agent-status lists every problem)"
                  (qwen-agent--diagnostic-place (qwen-agent--uri-to-path uri) new)
                  (plist-get new :message)))
       (force-mode-line-update t)))
    ('window/showMessage
     (message "qwen-agent: %s" (plist-get params :message)))
    ('chat/didUpdate
     (qwen-agent-chat--on-update params))
    (_ nil)))

(defun qwen-agent--run-hook (hook arg)
  "Run HOOK with ARG, reporting but not propagating errors."
  (condition-case err
      (run-hook-with-args hook arg)
    (error (message "qwen-agent: Error in %s: %s" hook
                    (error-message-string err)))))

(defun qwen-agent--same-model-p (a b)
  "Return non-nil when the model references A and B name the same model."
  (and (equal (plist-get a :id) (plist-get b :id))
       (equal (plist-get a :authType) (plist-get b :authType))
       (equal (plist-get a :baseUrl) (plist-get b :baseUrl))))

(defun qwen-agent--set-selected (conn selected)
  "Record SELECTED as CONN's selection; run the hook when it changed."
  (let ((old (qwen-agent--selected conn)))
    (setf (qwen-agent--selected conn) selected)
    (unless (and (qwen-agent--same-model-p old selected)
                 (eq (null old) (null selected)))
      (unless (qwen-agent--same-model-p (qwen-agent--model conn) selected)
        (setf (qwen-agent--model conn) nil))
      (qwen-agent--run-hook 'qwen-agent-model-changed-functions selected))
    (force-mode-line-update t)))

(defun qwen-agent--schedule-refresh (conn)
  "Refresh CONN's model and sign-in state soon, coalescing bursts."
  (unless (timerp (qwen-agent--refresh-timer conn))
    (setf (qwen-agent--refresh-timer conn)
          (run-with-timer 0.05 nil
                          (lambda ()
                            (setf (qwen-agent--refresh-timer conn) nil)
                            (when (jsonrpc-running-p conn)
                              (qwen-agent--refresh conn)))))))

(defun qwen-agent--refresh (conn)
  "Ask CONN's server for the model list and sign-in state.
An answer that arrives after a newer change notification is
dropped: that notification scheduled a newer refresh."
  (let ((gen (qwen-agent--generation conn)))
    (qwen-agent--async
     "model/list" (make-hash-table) :conn conn
     :on-error #'ignore
     :on-success
     (lambda (result)
       (when (= gen (qwen-agent--generation conn))
         (qwen-agent--update-models conn result))))
    (qwen-agent--async
     "auth/status" (make-hash-table) :conn conn
     :on-error #'ignore
     :on-success
     (lambda (result)
       (when (= gen (qwen-agent--generation conn))
         (setf (qwen-agent--auth conn) result)
         (force-mode-line-update t))))))

(defun qwen-agent--all-models (list)
  "Return every model of LIST, a `model/list' result, as a list."
  (cl-loop for group across (or (plist-get list :groups) [])
           append (append (plist-get group :models) nil)))

(defun qwen-agent--update-models (conn list)
  "Record the selection and its model entry from LIST on CONN."
  (let* ((selected (plist-get list :selected))
         (model (cl-find-if (lambda (m) (eq (plist-get m :selected) t))
                            (qwen-agent--all-models list))))
    (setf (qwen-agent--model conn) model)
    (qwen-agent--set-selected conn selected)))

;;;; Mode line

(defvar qwen-agent--mode-line-map
  (let ((map (make-sparse-keymap)))
    (define-key map [mode-line mouse-1] #'qwen-agent-status)
    map)
  "Keymap of the `qwen-agent-mode' lighter.")

(defun qwen-agent--signed-in-p (conn)
  "Return non-nil when CONN's selected model has a usable credential."
  (let ((model (qwen-agent--model conn)))
    (and model (eq (plist-get model :available) t))))

(defun qwen-agent--error-diagnostic-p (diagnostic)
  "Return non-nil when DIAGNOSTIC is an error (LSP severity 1 or none)."
  (memql (plist-get diagnostic :severity) '(1 nil)))

(defun qwen-agent--diagnostic-place (path diagnostic)
  "Return PATH and the line of DIAGNOSTIC as FILE:LINE."
  (let ((line (plist-get (plist-get (plist-get diagnostic :range) :start) :line)))
    (if (integerp line)
        (format "%s:%d" (abbreviate-file-name path) (1+ line))
      (abbreviate-file-name path))))

(defun qwen-agent--error-diagnostics (conn)
  "Return the error diagnostics CONN's server published.
Each is (PATH . DIAGNOSTIC)."
  (cl-loop for (uri . diags) in (qwen-agent--diagnostics conn)
           append (cl-loop for d in diags
                           when (qwen-agent--error-diagnostic-p d)
                           collect (cons (qwen-agent--uri-to-path uri) d))))

(defun qwen-agent-mode-line-string ()
  "Return the `qwen-agent-mode' lighter for the current buffer."
  (let* ((key (qwen-agent--key-of-buffer))
         (conn (qwen-agent--live key))
         (exit (gethash key qwen-agent--exits))
         text face help)
    (cond
     ((and (null conn) qwen-agent--missing)
      (setq text "no server" face 'qwen-agent-signed-out
            help qwen-agent--missing))
     ((null conn)
      (setq text (if exit "exited" "off")
            help (if exit
                     (format "The server exited (%s); the next qwen-agent \
command starts it again" exit)
                   "No server runs yet; M-x qwen-agent-status (or any \
qwen-agent command) starts it")))
     ((not (eq (qwen-agent--ready conn) t))
      (setq text (if (qwen-agent--ready conn) "failed" "starting")
            help (if (qwen-agent--ready conn)
                     (qwen-agent--error-text (qwen-agent--ready conn))
                   "The server is starting")))
     ((qwen-agent--login conn)
      (setq text "signing in…" help "A Qwen OAuth sign-in is waiting for approval"))
     (t
      (let* ((selected (qwen-agent--selected conn))
             (model (qwen-agent--model conn))
             (id (plist-get selected :id)))
        (cond
         ((null selected)
          (setq text "no model" help "No model is selected: M-x qwen-agent-select-model"))
         ((qwen-agent--signed-in-p conn)
          (setq text id
                help (format "Model %s (%s), signed in" id
                             (plist-get selected :authType))))
         (t
          (setq text (format "%s, signed out" id)
                face 'qwen-agent-signed-out
                help (format "Model %s: %s" id
                             (or (plist-get model :unavailableReason)
                                 "no credential: M-x qwen-agent-login"))))))
      (when-let ((errs (qwen-agent--error-diagnostics conn)))
        (setq text (concat text "!")
              face 'qwen-agent-signed-out
              help (concat help "\n!: "
                           (mapconcat (lambda (e)
                                        (format "%s: %s"
                                                (qwen-agent--diagnostic-place
                                                 (car e) (cdr e))
                                                (plist-get (cdr e) :message)))
                                      errs "\n   "))))))
    (concat " "
            (propertize (format "Qwen[%s]" text)
                        'face face
                        'help-echo (concat help "\nmouse-1: M-x qwen-agent-status")
                        'mouse-face 'mode-line-highlight
                        'local-map qwen-agent--mode-line-map))))

(defvar qwen-agent-mode-lighter '(:eval (qwen-agent-mode-line-string))
  "Mode-line construct of `qwen-agent-mode'.")
(put 'qwen-agent-mode-lighter 'risky-local-variable t)

(defvar qwen-agent--mode-timer nil
  "The idle timer that starts the server for `qwen-agent-mode'.")

;;;###autoload
(define-minor-mode qwen-agent-mode
  "Show the Qwen model and sign-in state in the mode line.
The lighter shows the selected model, whether it has a credential
and whether a settings file has errors (a `!'; the status buffer,
\\[qwen-agent-status], lists them); it follows changes made by any
editor or by hand.  Turning the mode on starts nothing at once: see
`qwen-agent-mode-start-server'."
  :global t
  :group 'qwen-agent
  :lighter qwen-agent-mode-lighter
  (when (timerp qwen-agent--mode-timer)
    (cancel-timer qwen-agent--mode-timer)
    (setq qwen-agent--mode-timer nil))
  (when (and qwen-agent-mode (eq qwen-agent-mode-start-server 'idle))
    (setq qwen-agent--mode-timer
          (run-with-idle-timer 1 nil #'qwen-agent--mode-start))))

(defun qwen-agent--mode-start ()
  "Start the server for `qwen-agent-mode', reporting a failure."
  (setq qwen-agent--mode-timer nil)
  (when qwen-agent-mode
    (condition-case err
        (qwen-agent--ensure)
      (error (message "qwen-agent: Cannot start the server: %s"
                      (error-message-string err))))))

;;;; Formatting

(defun qwen-agent--source-text (source)
  "Return a short description of SOURCE, a protocol Source plist."
  (if (null source)
      "unknown"
    (let ((layer (plist-get source :layer))
          (scope (plist-get source :scope))
          (path (plist-get source :path)))
      (concat layer
              (cond ((and scope path)
                     (format " (%s: %s)" scope (abbreviate-file-name path)))
                    (path (format " (%s)" (abbreviate-file-name path)))
                    (scope (format " (%s)" scope))
                    (t ""))))))

(defun qwen-agent--insert-heading (text)
  "Insert TEXT as a heading line."
  (insert (propertize text 'face 'qwen-agent-heading) "\n"))

(defun qwen-agent--insert-file (path)
  "Insert PATH as a button that visits it."
  (insert-text-button (abbreviate-file-name path)
                      'action (lambda (_) (find-file path))
                      'follow-link t
                      'help-echo "Visit this file"))

(defvar qwen-agent-info-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map "g" #'revert-buffer)
    map)
  "Keymap of `qwen-agent-info-mode'.")

(define-derived-mode qwen-agent-info-mode special-mode "Qwen-Info"
  "Major mode of qwen-agent's status and configuration buffers.
\\{qwen-agent-info-mode-map}")

(defmacro qwen-agent--with-info-buffer (name reverter &rest body)
  "Fill the buffer NAME by running BODY, then show and select it.
Selected, so that its keys (q, g) work at once.  REVERTER is the
function that `revert-buffer' calls."
  (declare (indent 2) (debug t))
  `(let ((buf (get-buffer-create ,name)))
     (with-current-buffer buf
       (let ((inhibit-read-only t))
         (unless (derived-mode-p 'qwen-agent-info-mode)
           (qwen-agent-info-mode))
         (erase-buffer)
         ,@body
         (goto-char (point-min)))
       (setq-local revert-buffer-function (lambda (&rest _) (funcall ,reverter))))
     (pop-to-buffer buf)
     buf))

;;;; Commands

(defun qwen-agent--state-text (state)
  "Return the protocol sign-in STATE in words."
  (pcase state
    ("signedIn" "signed in")
    ("signedOut" "signed out")
    ("pending" "signing in")
    ((pred stringp) state)
    (_ "unknown")))

(defun qwen-agent--padding (candidate candidates)
  "Return the spaces that align annotations after CANDIDATE.
CANDIDATES is the alist of all candidates."
  (make-string (max 2 (- (+ 2 (cl-loop for c in candidates
                                      maximize (string-width (car c))))
                         (string-width candidate)))
               ?\s))

(cl-defun qwen-agent--completing-read (prompt cands &key annotate group
                                              default category)
  "Read one of CANDS, an alist of (CANDIDATE . VALUE), with PROMPT.
Return the VALUE chosen.  Candidates are short words without
spaces, so that SPC completes them whole; ANNOTATE, called with a
VALUE, returns the text shown beside its candidate, and GROUP, when
non-nil, its group title.  DEFAULT is the candidate an empty answer
takes.  CATEGORY is the completion category."
  (let* ((annot (and annotate
                     (lambda (c)
                       (when-let ((cell (assoc c cands))
                                  (text (funcall annotate (cdr cell))))
                         (concat (qwen-agent--padding c cands)
                                 (propertize text 'face 'completions-annotations))))))
         (grp (and group
                   (lambda (c transform)
                     (if transform c (funcall group (cdr (assoc c cands)))))))
         (table (lambda (string pred action)
                  (if (eq action 'metadata)
                      `(metadata (category . ,category)
                                 ,@(and annot `((annotation-function . ,annot)))
                                 ,@(and grp `((group-function . ,grp)))
                                 (display-sort-function . identity)
                                 (cycle-sort-function . identity))
                    (complete-with-action action cands string pred))))
         (choice (completing-read (format-prompt prompt default)
                                  table nil t nil nil default)))
    (cdr (or (assoc choice cands)
             (user-error "qwen-agent: Nothing chosen")))))

(defun qwen-agent--auth-annotation (state)
  "Return the annotation of STATE, an `auth/status' entry."
  (let ((cred (plist-get state :credential)))
    (string-join
     (delq nil
           (list (plist-get state :label)
                 (qwen-agent--state-text (plist-get state :state))
                 (plist-get cred :redacted)
                 (when-let ((src (plist-get cred :source)))
                   (qwen-agent--source-text src))
                 (plist-get state :message)))
     " · ")))

(defun qwen-agent--choose-auth (prompt states)
  "Read one of STATES, `auth/status' entries, with PROMPT.
Each is offered as its variable name (or its id), annotated with
its label and state."
  (let ((seen (make-hash-table :test #'equal)))
    (qwen-agent--completing-read
     prompt
     (mapcar (lambda (s)
               (let ((name (or (plist-get s :envKey) (plist-get s :id))))
                 (when (gethash name seen) (setq name (plist-get s :id)))
                 (puthash name t seen)
                 (cons name s)))
             states)
     :annotate #'qwen-agent--auth-annotation
     :category 'qwen-agent-auth)))

;;;;; The sign-in menu, as the server describes it

(defun qwen-agent--login-menu (conn)
  "Return the sign-in menu of CONN's server: a list of LoginOption plists.
Return nil when the server has none (it predates protocol version 2)."
  (when (qwen-agent--supports-p conn "auth/methods")
    (append (plist-get (qwen-agent--request "auth/methods" (make-hash-table)
                                            :conn conn)
                       :methods)
            nil)))

(defun qwen-agent--option-annotation (option status)
  "Return the annotation of the menu entry OPTION.
STATUS, an `auth/status' result, tells whether it is signed in."
  (let* ((id (plist-get option :id))
         (in (cl-find-if (lambda (s) (and (equal (plist-get s :login) id)
                                          (equal (plist-get s :state) "signedIn")))
                         (append (plist-get status :methods) nil))))
    (string-join
     (delq nil
           (list (plist-get option :label)
                 (when in
                   (string-join
                    (delq nil (list "signed in"
                                    (plist-get (plist-get in :credential) :redacted)))
                    " "))
                 (plist-get option :description)
                 ;; Its first sentence: the sign-in buffer shows it whole.
                 (when-let ((notice (plist-get option :notice)))
                   (if (string-match "\\`.*?[.!?]\\( \\|\\'\\)" notice)
                       (string-trim-right (match-string 0 notice))
                     notice))))
     " · ")))

(defun qwen-agent--read-option (menu status)
  "Read an entry of MENU, the server's sign-in menu, by its id.
STATUS is an `auth/status' result, for the annotations."
  (qwen-agent--completing-read
   "Sign in with"
   (mapcar (lambda (o) (cons (plist-get o :id) o)) menu)
   :annotate (lambda (o) (qwen-agent--option-annotation o status))
   ;; An entry without a group is a group of its own, under its label,
   ;; so that grouping keeps the server's order.
   :group (and (cl-some (lambda (o) (plist-get o :group)) menu)
               (lambda (o) (or (plist-get o :group) (plist-get o :label))))
   :category 'qwen-agent-login))

(defun qwen-agent--field-key (field)
  "Return the plist key of FIELD, a field of a sign-in option."
  (intern (concat ":" (plist-get field :name))))

(defun qwen-agent--read-field (field)
  "Ask for the value of FIELD, a field of a sign-in option.
Return nil for an optional field left empty."
  (let* ((label (plist-get field :label))
         (choices (append (plist-get field :choices) nil))
         (raw-default (plist-get field :default))
         (default (and raw-default (not (vectorp raw-default))
                       (format "%s" raw-default)))
         (optional (eq (plist-get field :optional) t))
         (hint (plist-get field :placeholder))
         (rule (plist-get field :rule)))
    (cond
     ((equal (plist-get field :name) "models")
      ;; A list: the preset's own models (its default) are offered; an
      ;; empty answer leaves the choice to the server (all of them).
      (let* ((offered (or (mapcar (lambda (c) (format "%s" (plist-get c :value))) choices)
                          (and (vectorp raw-default)
                               (mapcar (lambda (m) (format "%s" m)) raw-default))))
             (prompt (format-prompt "%s (comma-separated%s)" nil label
                                    (cond ((and optional offered) ", empty: all")
                                          (rule (concat "; " rule))
                                          (t ""))))
             (ids (if offered
                      (completing-read-multiple prompt offered)
                    (split-string (read-string prompt) "[, \t]+" t))))
        (cond (ids (vconcat ids))
              (optional nil)
              (t (user-error "qwen-agent: %s: at least one is needed" label)))))
     (choices
      (plist-get
       (qwen-agent--completing-read
        label
        (mapcar (lambda (c) (cons (format "%s" (plist-get c :value)) c)) choices)
        :annotate (lambda (c)
                    (string-join (delq nil (list (plist-get c :label)
                                                 (plist-get c :detail)))
                                 " · "))
        :default (or default (format "%s" (plist-get (car choices) :value)))
        :category 'qwen-agent-choice)
       :value))
     (t
      (let ((value (string-trim
                    (read-string
                     (format-prompt "%s%s" default label
                                    (let ((notes (delq nil
                                                       (list (and hint (not default)
                                                                  (concat "e.g. " hint))
                                                             rule
                                                             (and optional (not default)
                                                                  (not rule) "optional")))))
                                      (if notes
                                          (format " (%s)" (string-join notes "; "))
                                        "")))
                     nil nil default))))
        (cond ((not (string-empty-p value)) value)
              (optional nil)
              (t (user-error "qwen-agent: %s is needed to sign in" label))))))))

(defun qwen-agent--read-fields (option given all)
  "Ask for the fields of OPTION that the plist GIVEN lacks; return a plist.
With ALL, ask for every field, offering its default; else only
for those that are required and have no default.  Secret fields
are left out: `qwen-agent-login' reads them in its body, so that
they never reach the variable `command-history'."
  (let (values)
    (dolist (field (append (plist-get option :fields) nil))
      (let ((key (qwen-agent--field-key field)))
        (when (and (not (eq (plist-get field :secret) t))
                   (not (plist-member given key))
                   (or all (not (or (eq (plist-get field :optional) t)
                                    (plist-get field :default)))))
          (when-let ((value (qwen-agent--read-field field)))
            (setq values (append values (list key value)))))))
    values))

(defun qwen-agent--read-login ()
  "Read the arguments of `qwen-agent-login': a menu entry and its fields."
  (let* ((conn (qwen-agent--ready-conn))
         (menu (or (qwen-agent--login-menu conn)
                   (user-error "qwen-agent: This server has no sign-in menu; \
update qwen-agent-server")))
         (status (ignore-errors
                   (qwen-agent--request "auth/status" (make-hash-table) :conn conn)))
         (option (qwen-agent--read-option menu status)))
    (cons (plist-get option :id) (qwen-agent--read-fields option nil t))))

;;;###autoload
(defun qwen-agent-login (method &rest fields)
  "Sign in with METHOD, the id of an entry of the server's sign-in menu.
The server describes the menu: \"qwen-oauth\", each provider preset
of Qwen Code (\"coding-plan\", \"openrouter\", ...) and \"api-key\";
\\[qwen-agent-login] lists them with their labels.  FIELDS is a
plist of the entry's fields, such as :region \"global\", or
:authType \"anthropic\" :envKey \"MY_KEY\"; a field the server needs
and has no default for is asked for when missing.  Interactively,
choose the entry, then each of its fields.

Keys are read with `read-passwd': they never reach the echo area,
a history list or the events buffer.  The server checks a key with
the provider, then stores it in your home .env file; the message
says whether the provider accepted it, which model the sign-in
selected and which settings it wrote."
  (interactive (qwen-agent--read-login))
  (let* ((conn (qwen-agent--ready-conn))
         (menu (qwen-agent--login-menu conn))
         (option (cl-find method menu :key (lambda (o) (plist-get o :id))
                          :test #'equal)))
    (when (and menu (null option))
      (user-error "qwen-agent: The server has no sign-in method %s; it has %s"
                  method (mapconcat (lambda (o) (plist-get o :id)) menu ", ")))
    (if (equal method "qwen-oauth")
        (qwen-agent--login-oauth conn option)
      (qwen-agent--login-key
       conn method option
       (append fields (and option (qwen-agent--read-fields option fields nil)))))))

(defun qwen-agent--secret-prompt (option field fields)
  "Return the prompt for FIELD, a secret of OPTION.
FIELDS, the values given so far, may name the variable it goes to."
  (let ((env (or (plist-get fields :envKey) (plist-get option :envKey))))
    (format "%s%s%s: "
            (plist-get field :label)
            (cond (env (format " for %s" env))
                  (option (format " for %s" (plist-get option :label)))
                  (t ""))
            (if-let ((rule (plist-get field :rule))) (format " (%s)" rule) ""))))

(defun qwen-agent--login-key (conn method option fields)
  "Sign in on CONN with METHOD and FIELDS, reading OPTION's secrets first.
OPTION is METHOD's entry of the menu, or nil when the server has no
menu: then an API key is asked for."
  (let* ((specs (append (plist-get option :fields) nil))
         (secrets (if option
                      (cl-remove-if-not (lambda (f) (eq (plist-get f :secret) t)) specs)
                    (list (list :name "apiKey" :label "API key" :secret t))))
         (qwen-agent--field-labels
          (mapcar (lambda (f) (cons (plist-get f :name) (plist-get f :label)))
                  (or specs secrets)))
         (read nil))
    (unwind-protect
        (progn
          (dolist (field secrets)
            (let ((key (qwen-agent--field-key field)))
              (unless (plist-get fields key)
                (let ((value (read-passwd
                              (qwen-agent--secret-prompt option field fields))))
                  (push value read)
                  (if (string-empty-p (string-trim value))
                      (unless (eq (plist-get field :optional) t)
                        (user-error "qwen-agent: No %s given" (plist-get field :label)))
                    (setq fields (append fields (list key value))))))))
          (let* ((secret (cl-loop for f in secrets
                                  for v = (plist-get fields (qwen-agent--field-key f))
                                  when (stringp v) collect v))
                 (result (qwen-agent--request
                          "auth/login" (append (list :method method) fields)
                          :conn conn :secret secret)))
            (when-let ((sel (plist-get result :selected)))
              (cl-incf (qwen-agent--generation conn))
              (qwen-agent--set-selected conn sel))
            (qwen-agent--schedule-refresh conn)
            (message "qwen-agent: %s" (qwen-agent--login-result-text option result))
            result))
      (dolist (v read) (clear-string v)))))

(defun qwen-agent--login-result-text (option result)
  "Return what the key sign-in RESULT did, in words.
OPTION is the menu entry used, or nil."
  (let ((cred (plist-get result :credential))
        (sel (plist-get result :selected)))
    (string-join
     (delq nil
           (list (format "Signed in%s: %s stored in %s (%s)"
                         (if option (format " with %s" (plist-get option :label)) "")
                         (plist-get result :envKey)
                         (abbreviate-file-name (or (plist-get result :storedIn) "?"))
                         (plist-get cred :redacted))
                 (pcase (plist-get result :verified)
                   ('t "the provider accepted the key")
                   (:json-false "the key was not checked with the provider")
                   (_ nil))
                 (when sel
                   (format "model %s (%s) selected"
                           (plist-get sel :id) (plist-get sel :authType)))
                 (when-let ((changed (append (plist-get result :changed) nil)))
                   (concat "wrote "
                           (mapconcat
                            (lambda (c)
                              (format "%s in %s"
                                      (string-join (append (plist-get c :keys) nil) ", ")
                                      (abbreviate-file-name (plist-get c :path))))
                            changed "; ")))
                 (when-let ((w (append (plist-get result :warnings) nil)))
                   (string-join w " "))))
     "; ")))

(defun qwen-agent--copy (text)
  "Put TEXT in the kill ring and, in a terminal, in its clipboard.
A terminal frame has no clipboard Emacs can reach, so TEXT is also
sent as an OSC 52 sequence (wrapped for tmux or screen), as
`qwen-agent-clipboard' says.  Return non-nil when it was sent."
  (kill-new text)
  (when (pcase qwen-agent-clipboard
          ('auto (and (not (display-graphic-p)) (not noninteractive)))
          ('nil nil)
          (_ t))
    (let* ((osc (format "\e]52;c;%s\a"
                        (base64-encode-string (encode-coding-string text 'utf-8) t)))
           (term (or (getenv "TERM" (selected-frame)) ""))
           (seq (cond ((getenv "TMUX" (selected-frame))
                       (concat "\ePtmux;" (string-replace "\e" "\e\e" osc) "\e\\"))
                      ((string-prefix-p "screen" term)
                       (concat "\eP" osc "\e\\"))
                      (t osc))))
      (send-string-to-terminal seq)
      t)))

(defun qwen-agent--may-open-browser ()
  "Return non-nil when the sign-in page may be opened in a browser."
  (pcase qwen-agent-open-browser
    ('always t)
    ('nil nil)
    (_ (display-graphic-p))))

;;;;; Qwen OAuth sign-in buffer

(defvar qwen-agent-login-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map "q" #'qwen-agent-login-cancel)
    (define-key map (kbd "C-g") #'qwen-agent-login-cancel)
    (define-key map "w" #'qwen-agent-login-copy-code)
    (define-key map "o" #'qwen-agent-login-open)
    map)
  "Keymap of `qwen-agent-login-mode'.")

(defvar-local qwen-agent--login-state nil
  "The sign-in shown in this buffer: a plist.")

(define-derived-mode qwen-agent-login-mode special-mode "Qwen-Login"
  "Major mode of the Qwen OAuth sign-in buffer.
\\{qwen-agent-login-mode-map}"
  (add-hook 'kill-buffer-hook #'qwen-agent--login-cancel-pending nil t))

(defun qwen-agent--login-cancel-pending ()
  "Cancel the sign-in shown in the current buffer if it still waits."
  (let* ((login qwen-agent--login-state)
         (conn (plist-get login :conn)))
    (when (and (equal (plist-get login :state) "pending")
               conn (jsonrpc-running-p conn)
               (equal (plist-get (qwen-agent--login conn) :loginId)
                      (plist-get login :loginId)))
      (qwen-agent--async "auth/cancel" (list :loginId (plist-get login :loginId))
                         :conn conn :on-error #'ignore))))


(defconst qwen-agent--login-buffer "*qwen-agent login*"
  "Name of the sign-in buffer.")

(defun qwen-agent--login-oauth (conn option)
  "Start a Qwen OAuth sign-in on CONN and show its code and link.
OPTION, the menu entry, carries the notice shown with them."
  (let ((open (qwen-agent--may-open-browser)))
    (qwen-agent--async
     "auth/login" (list :method "qwen-oauth" :openBrowser (if open t :json-false))
     :conn conn
     :on-error (lambda (err)
                 (message "qwen-agent: Sign-in failed: %s"
                          (qwen-agent--error-text err)))
     :on-success
     (lambda (result)
       (let* ((uri (or (plist-get result :verificationUriComplete)
                       (plist-get result :verificationUri)))
              (code (plist-get result :userCode))
              (login (list :conn conn
                           :loginId (plist-get result :loginId)
                           :userCode code
                           :uri uri
                           :expiresAt (plist-get result :expiresAt)
                           :notice (plist-get option :notice)
                           :state "pending"
                           ;; The server may ask to open it before it answers.
                           :opened (equal uri (qwen-agent--opened conn)))))
         (when code
           (setq login (plist-put login :clipboard (qwen-agent--copy code))))
         (setf (qwen-agent--login conn) login)
         (qwen-agent--login-render login t)
         (force-mode-line-update t)
         (message "qwen-agent: Enter the code %s at %s (q or C-g cancels)"
                  code (plist-get login :uri)))))))

(defun qwen-agent--format-time (iso)
  "Return the ISO 8601 time ISO in local time with how far off it is, or nil.
Today's times show as HH:MM, others with their date:
\"14:05 (in 9 min)\", \"2026-12-24 09:00 (in 22 days)\"."
  (when-let ((time (and (stringp iso)
                        (ignore-errors (parse-iso8601-time-string iso)))))
    (let* ((delta (float-time (time-subtract time nil)))
           (abs (abs delta))
           (span (cond ((< abs 90) (format "%d s" (round abs)))
                       ((< abs 5400) (format "%d min" (round abs 60)))
                       ((< abs 129600) (format "%d h" (round abs 3600)))
                       (t (format "%d days" (round abs 86400))))))
      (format "%s (%s)"
              (format-time-string
               (if (equal (format-time-string "%F" time) (format-time-string "%F"))
                   "%H:%M" "%F %H:%M")
               time)
              (if (>= delta 0) (concat "in " span) (concat span " ago"))))))

(defun qwen-agent--login-render (login &optional display)
  "Show LOGIN in the sign-in buffer; pop it up when DISPLAY is non-nil."
  (let ((buf (get-buffer-create qwen-agent--login-buffer))
        (state (plist-get login :state)))
    (with-current-buffer buf
      (let ((inhibit-read-only t))
        (unless (derived-mode-p 'qwen-agent-login-mode)
          (qwen-agent-login-mode))
        (setq qwen-agent--login-state login)
        (erase-buffer)
        (qwen-agent--insert-heading "Sign in to Qwen")
        (insert "\n")
        (pcase state
          ("pending"
           (insert "Open this page and enter the code:\n\n    ")
           (insert-text-button (plist-get login :uri)
                               'action (lambda (_) (qwen-agent-login-open))
                               'follow-link t
                               'help-echo "Open in a browser")
           (insert "\n\n    Code:  "
                   (propertize (or (plist-get login :userCode) "?")
                               'face '(bold highlight))
                   (if (plist-get login :clipboard)
                       "   (copied to the kill ring and the terminal's clipboard)\n\n"
                     "   (copied to the kill ring)\n\n"))
           (insert (if (plist-get login :opened)
                       "The page was opened in your browser.\n"
                     "Open the link in a browser (o opens it from here).\n"))
           (insert (format "Waiting for approval%s…\n\n"
                           (if-let ((at (qwen-agent--format-time
                                         (plist-get login :expiresAt))))
                               (format "; the code expires at %s" at)
                             "")))
           (when-let ((notice (plist-get login :notice)))
             (insert (propertize (concat "Note: " notice) 'face 'warning) "\n\n"))
           (insert "q or C-g: cancel   w: copy the code   o: open the link\n"))
          ("signedIn"
           (insert "Signed in to Qwen OAuth.\n\nq: close\n"))
          (_
           (if (equal (plist-get login :reason) "cancelled")
               (insert "Sign-in cancelled.\n\n")
             (insert (format "Sign-in failed: %s.\n\n"
                             (qwen-agent--reason-text (plist-get login :reason)))))
           (insert "q: close   M-x qwen-agent-login: try again\n")))
        (goto-char (point-min))))
    (when display
      (let ((win (display-buffer buf '((display-buffer-reuse-window
                                        display-buffer-below-selected)
                                       (window-height . fit-window-to-buffer)))))
        (when (window-live-p win) (select-window win))))
    (when-let ((win (get-buffer-window buf t)))
      (with-selected-window win (fit-window-to-buffer)))
    buf))

(defun qwen-agent--reason-text (reason)
  "Return a sentence for the sign-in failure REASON."
  (pcase reason
    ("expired" "the code expired before it was approved")
    ("denied" "the request was denied")
    ("cancelled" "cancelled")
    ("network" "the sign-in server could not be reached")
    ("server" "the sign-in server answered an error")
    ((pred stringp) reason)
    (_ "unknown reason")))

(defun qwen-agent--show-result (text &optional stale)
  "Show TEXT in the echo area, where STALE, a progress message, was.
A command run with \\[execute-extended-command] ends with Emacs's hint \"You can run the
command ... with ...\", shown by `with-temp-message', which puts
back the message it covered when it ends: when that is STALE, it
hid TEXT, so show TEXT again.  Watch for that for a few seconds."
  (message "%s" text)
  (when stale
    (let* ((tries 0) (timer nil))
      (setq timer
            (run-with-timer
             0.25 0.25
             (lambda ()
               (cl-incf tries)
               (let ((now (current-message)))
                 (cond ((equal now stale)
                        (let ((message-log-max nil)) (message "%s" text)))
                       ((or (>= tries 24)
                            (not (or (null now) (equal now text)
                                     (string-prefix-p "You can run the command" now))))
                        (cancel-timer timer))))))))))

(defun qwen-agent--login-finish (login state reason)
  "End LOGIN with STATE and REASON; update its buffer and say so."
  (let ((login (plist-put (plist-put (copy-sequence login) :state state)
                          :reason reason)))
    (when-let ((buf (get-buffer qwen-agent--login-buffer)))
      (when (equal (plist-get (buffer-local-value 'qwen-agent--login-state buf)
                              :loginId)
                   (plist-get login :loginId))
        (qwen-agent--login-render login)))
    (qwen-agent--show-result
     (cond ((equal state "signedIn") "qwen-agent: Signed in to Qwen OAuth")
           ((equal reason "cancelled") "qwen-agent: Qwen OAuth sign-in cancelled")
           (t (format "qwen-agent: Qwen OAuth sign-in failed: %s"
                      (qwen-agent--reason-text reason)))))
    (force-mode-line-update t)))

(defun qwen-agent-login-cancel ()
  "Cancel the pending Qwen OAuth sign-in, or close the finished one."
  (interactive)
  (let* ((login (and (derived-mode-p 'qwen-agent-login-mode) qwen-agent--login-state))
         (conn (plist-get login :conn)))
    (if (and login (equal (plist-get login :state) "pending")
             conn (jsonrpc-running-p conn))
        (progn
          (qwen-agent--async "auth/cancel"
                             (list :loginId (plist-get login :loginId))
                             :conn conn)
          (message "qwen-agent: Cancelling the sign-in…"))
      (quit-window t))))

(defun qwen-agent-login-copy-code ()
  "Copy the sign-in code to the kill ring and, in a terminal, its clipboard."
  (interactive)
  (when-let ((code (plist-get qwen-agent--login-state :userCode)))
    (message (if (qwen-agent--copy code)
                 "Copied %s to the kill ring and the terminal's clipboard"
               "Copied %s to the kill ring")
             code)))

(defun qwen-agent-login-open ()
  "Open the sign-in page with `browse-url'."
  (interactive)
  (when-let ((uri (plist-get qwen-agent--login-state :uri)))
    (browse-url uri)))

;;;###autoload
(defun qwen-agent-logout (method &optional auth-type env-key)
  "Sign out of METHOD, the id of an entry of the server's sign-in menu.
AUTH-TYPE and ENV-KEY name the key to remove, for \"api-key\".
The server removes what it stored: the OAuth credential file, or
the key's line in the .env file that holds it.  Interactively,
choose among the methods you are signed in with."
  (interactive
   (let* ((status (qwen-agent--request "auth/status" (make-hash-table)))
          (all (append (plist-get status :methods) nil))
          (in (cl-remove-if (lambda (s) (equal (plist-get s :state) "signedOut")) all))
          (choice (qwen-agent--choose-auth "Sign out of: " (or in all))))
     (list (plist-get choice :login) (plist-get choice :authType)
           (plist-get choice :envKey))))
  (qwen-agent--request "auth/logout"
                       (append (list :method method)
                               (and auth-type (list :authType auth-type))
                               (and env-key (list :envKey env-key))))
  (message "qwen-agent: Signed out of %s" (or env-key method)))

(defun qwen-agent--model-candidates (list)
  "Return an alist of (CANDIDATE . MODEL) for the models in LIST."
  (let* ((models (qwen-agent--all-models list))
         (count (make-hash-table :test #'equal)))
    (dolist (m models)
      (cl-incf (gethash (plist-get m :id) count 0)))
    (let ((seen (make-hash-table :test #'equal)))
      (mapcar
       (lambda (m)
         (let* ((id (plist-get m :id))
                (name (if (> (gethash id count) 1)
                          (format "%s [%s%s]" id (plist-get m :authType)
                                  (if-let ((url (plist-get m :baseUrl)))
                                      (concat " " url) ""))
                        id)))
           (while (gethash name seen) (setq name (concat name "'")))
           (puthash name t seen)
           (cons name m)))
       models))))

(defun qwen-agent--group-label (list auth-type)
  "Return the label LIST gives the group of AUTH-TYPE."
  (or (cl-loop for g across (or (plist-get list :groups) [])
               when (equal (plist-get g :authType) auth-type)
               return (plist-get g :label))
      auth-type))

(defun qwen-agent--read-model (prompt list)
  "Read a model of LIST, a `model/list' result, with PROMPT.
Return the model's plist."
  (let* ((cands (qwen-agent--model-candidates list))
         (default (car (cl-find-if (lambda (c) (eq (plist-get (cdr c) :selected) t))
                                   cands)))
         (annot
          (lambda (c)
            (when-let ((m (cdr (assoc c cands))))
              (concat
               (qwen-agent--padding c cands)
               (propertize
                (string-join
                 (delq nil
                       (list (when (eq (plist-get m :selected) t) "selected")
                             (unless (equal (plist-get m :name) (plist-get m :id))
                               (plist-get m :name))
                             (if (eq (plist-get m :available) t)
                                 "available"
                               (concat "unavailable: "
                                       (or (plist-get m :unavailableReason) "?")))
                             (qwen-agent--source-text (plist-get m :source))))
                 " · ")
                'face 'completions-annotations)))))
         (group
          (lambda (c transform)
            (if transform
                c
              (qwen-agent--group-label
               list (plist-get (cdr (assoc c cands)) :authType)))))
         (table (lambda (string pred action)
                  (if (eq action 'metadata)
                      `(metadata (category . qwen-agent-model)
                                 (annotation-function . ,annot)
                                 (group-function . ,group)
                                 (display-sort-function . identity)
                                 (cycle-sort-function . identity))
                    (complete-with-action action cands string pred))))
         (choice (completing-read (format-prompt prompt default)
                                  table nil t nil nil default)))
    (or (cdr (assoc choice cands))
        (user-error "qwen-agent: No model chosen"))))

(defun qwen-agent--model-params (model)
  "Return the protocol reference of MODEL: its id, auth type and base URL."
  (append (list :id (plist-get model :id))
          (when-let ((type (plist-get model :authType))) (list :authType type))
          (when-let ((url (plist-get model :baseUrl))) (list :baseUrl url))))

(defun qwen-agent--read-scope ()
  "Read where a model choice is saved: \"user\", \"workspace\" or \"session\"."
  (let* ((conn (qwen-agent--ensure))
         (root (abbreviate-file-name (file-name-as-directory (qwen-agent--root conn)))))
    (car
     (qwen-agent--completing-read
      "Save the choice in"
     `(("user" . ("user" . "your settings (~/.qwen/settings.json): every project"))
       ("workspace" . ("workspace" . ,(format "this project's settings (%s.qwen/settings.json)"
                                              root)))
       ("session" . ("session" . "this server only, until it stops; no file written")))
      :annotate #'cdr
      :default "user"
      :category 'qwen-agent-scope))))

;;;###autoload
(defun qwen-agent-select-model (model &optional scope)
  "Select MODEL, a model id or a plist with :id, :authType and :baseUrl.
The choice is saved in the user or the workspace settings file,
as Qwen Code does, so it holds for every editor and for Qwen Code.
SCOPE, when given, is \"user\", \"workspace\" or \"session\" (this
server process only).  Interactively, models are grouped by auth
type and annotated with their availability and source; with a
prefix argument, choose the SCOPE."
  (interactive
   (let ((list (qwen-agent--request "model/list" (make-hash-table))))
     (list (qwen-agent--read-model "Model" list)
           (when current-prefix-arg (qwen-agent--read-scope)))))
  (let* ((params (append (if (stringp model)
                             (list :id model)
                           (qwen-agent--model-params model))
                         (and scope (list :scope scope))))
         (result (qwen-agent--request "model/select" params))
         (sel (plist-get result :selected)))
    (when-let ((conn (qwen-agent--live)))
      (cl-incf (qwen-agent--generation conn))
      (qwen-agent--set-selected conn sel)
      (qwen-agent--schedule-refresh conn))
    (message "qwen-agent: Model %s (%s)%s%s"
             (plist-get sel :id) (plist-get sel :authType)
             (if-let ((path (plist-get result :persistedTo)))
                 (format ", saved in %s" (abbreviate-file-name path))
               ", for this session")
             (if-let ((w (append (plist-get result :warnings) nil)))
                 (concat "; " (string-join w " "))
               ""))
    result))

;;;###autoload
(defun qwen-agent-test-model (&optional model)
  "Check that MODEL works by sending it one tiny request.
MODEL is a plist with :id, :authType and :baseUrl (default: the
selected model).  Interactively, choose it; the answer comes back
in the echo area without blocking Emacs."
  (interactive
   (let ((list (qwen-agent--request "model/list" (make-hash-table))))
     (list (qwen-agent--read-model "Test model" list))))
  (let* ((conn (qwen-agent--ensure))
         (model (or model
                    (qwen-agent--selected conn)
                    (plist-get (qwen-agent--request "model/list" (make-hash-table))
                               :selected)
                    (user-error "qwen-agent: No model is selected")))
         (id (plist-get model :id)))
    (let ((progress (message "qwen-agent: Testing %s…" id)))
      (qwen-agent--async
       "model/test" (qwen-agent--model-params model)
       :conn conn
       :timeout qwen-agent-model-test-timeout
       :on-error (lambda (err)
                   (qwen-agent--show-result
                    (format "qwen-agent: %s cannot be tested: %s" id
                            (qwen-agent--error-text err))
                    progress))
       :on-success
       (lambda (result)
         (let ((err (plist-get result :error)))
           (qwen-agent--schedule-refresh conn)
           (qwen-agent--show-result
            (if (eq (plist-get result :ok) t)
                (format "qwen-agent: %s works (%s ms)" id (plist-get result :latencyMs))
              (format "qwen-agent: %s failed: %s%s" id
                      (or (plist-get err :message) "unknown error")
                      (if-let ((status (plist-get err :status)))
                          (format " (HTTP %s)" status)
                        "")))
            progress)))))))

(defun qwen-agent--problems (conn conf)
  "Return the settings problems CONN's server knows, as (PLACE MESSAGE SEVERITY).
CONF is a `config/resolve' result; the diagnostics the server
published add their line numbers.  Errors come first."
  (let (out)
    (cl-flet ((add (place path msg severity)
                (unless (cl-find-if (lambda (p) (and (equal (nth 1 p) msg)
                                                     (equal (nth 3 p) path)))
                                    out)
                  (push (list place msg severity path) out))))
      (pcase-dolist (`(,uri . ,diags) (qwen-agent--diagnostics conn))
        (let ((path (qwen-agent--uri-to-path uri)))
          (dolist (d diags)
            (add (qwen-agent--diagnostic-place path d) path (plist-get d :message)
                 (if (qwen-agent--error-diagnostic-p d) "error" "warning")))))
      (cl-loop for l across (or (plist-get conf :layers) [])
               for e = (plist-get l :error)
               when (stringp e)
               do (add (abbreviate-file-name (plist-get l :path)) (plist-get l :path)
                       e "error"))
      (cl-loop for d across (or (plist-get conf :diagnostics) [])
               for path = (or (plist-get d :path) "?")
               do (add (abbreviate-file-name path) path (plist-get d :message)
                       (or (plist-get d :severity) "error"))))
    (mapcar (lambda (p) (butlast p))
            (sort (nreverse out)
                  (lambda (a b) (and (equal (nth 2 a) "error")
                                     (not (equal (nth 2 b) "error"))))))))

(defun qwen-agent--failed-keys (auth)
  "Return the `auth/status' entries of AUTH whose key failed its check."
  (cl-remove-if-not (lambda (s) (or (eq (plist-get s :verified) :json-false)
                                    (equal (plist-get s :state) "error")))
                    (append (plist-get auth :methods) nil)))

(defun qwen-agent--verified-text (state)
  "Return what the provider said of STATE's credential, or nil."
  (pcase (plist-get state :verified)
    ('t "accepted by the provider")
    (:json-false "failed its check with the provider")
    (_ nil)))

;;;###autoload
(defun qwen-agent-status ()
  "Show who you are signed in as, which model is selected, and every problem.
The buffer lists every settings error the server found and every
key that failed its check with the provider."
  (interactive)
  (let* ((conn (qwen-agent--ensure))
         (auth (qwen-agent--request "auth/status" (make-hash-table) :conn conn))
         (list (qwen-agent--request "model/list" (make-hash-table) :conn conn))
         (conf (ignore-errors
                 (qwen-agent--request "config/resolve" (make-hash-table) :conn conn)))
         (sel (plist-get list :selected))
         (model (cl-find-if (lambda (m) (eq (plist-get m :selected) t))
                            (qwen-agent--all-models list)))
         (problems (qwen-agent--problems conn conf))
         (failed (qwen-agent--failed-keys auth)))
    (setf (qwen-agent--auth conn) auth)
    (qwen-agent--update-models conn list)
    (qwen-agent--with-info-buffer "*qwen-agent status*" #'qwen-agent-status
      (qwen-agent--insert-heading "Model")
      (if sel
          (insert (format "  %s (%s)%s\n  chosen by: %s\n  %s\n"
                          (plist-get sel :id) (plist-get sel :authType)
                          (if-let ((url (plist-get sel :baseUrl)))
                              (concat " at " url) "")
                          (qwen-agent--source-text (plist-get sel :source))
                          (cond ((null model) "")
                                ((eq (plist-get model :available) t) "available")
                                (t (concat "unavailable: "
                                           (or (plist-get model :unavailableReason)
                                               "?"))))))
        (insert "  none selected (M-x qwen-agent-select-model)\n"))
      (insert "\n")
      (qwen-agent--insert-heading "Sign-in")
      (insert (format "  active: %s%s\n\n"
                      (or (plist-get auth :active) "none")
                      (if-let ((src (plist-get auth :activeSource)))
                          (format " (from %s)" (qwen-agent--source-text src))
                        "")))
      (cl-loop for s across (or (plist-get auth :methods) [])
               do (insert
                   (format "  %-44s %s%s\n"
                           (plist-get s :label)
                           (propertize (qwen-agent--state-text (plist-get s :state))
                                       'face (if (equal (plist-get s :state) "signedIn")
                                                 'success 'shadow))
                           (mapconcat
                            (lambda (x) (concat "\n      " x))
                            (delq nil
                                  (list
                                   (when-let ((c (plist-get s :credential)))
                                     (format "%s from %s" (plist-get c :redacted)
                                             (qwen-agent--source-text
                                              (plist-get c :source))))
                                   (when-let ((r (plist-get s :region)))
                                     (format "region: %s" r))
                                   (when-let ((at (qwen-agent--format-time
                                                   (plist-get s :expiresAt))))
                                     (format "expires %s" at))
                                   (qwen-agent--verified-text s)
                                   (plist-get s :message)))
                            ""))))
      (insert "\n")
      (qwen-agent--insert-heading "Problems")
      (if (not (or problems failed))
          (insert "  none\n")
        (pcase-dolist (`(,place ,msg ,severity) problems)
          (insert (format "  %s %s: %s\n" place severity
                          (propertize (or msg "") 'face (if (equal severity "error")
                                                            'error 'warning)))))
        (dolist (s failed)
          (insert (format "  %s (%s): %s\n"
                          (or (plist-get s :envKey) (plist-get s :id))
                          (plist-get s :label)
                          (propertize (or (plist-get s :message)
                                          (if (equal (plist-get s :state) "error")
                                              "sign-in error"
                                            "the provider rejected this key: \
sign in again (M-x qwen-agent-login)"))
                                      'face 'error)))))
      (let ((w (append (plist-get auth :warnings) (plist-get list :warnings) nil)))
        (when w
          (insert "\n")
          (qwen-agent--insert-heading "Warnings")
          (dolist (x w) (insert "  " x "\n"))))
      (insert (format "\nServer: %s, workspace %s\n"
                      (plist-get (plist-get (qwen-agent--info conn) :serverInfo) :version)
                      (abbreviate-file-name (qwen-agent--root conn))))
      (insert "\ng: refresh   q: close\n"))
    (message "qwen-agent: %s%s"
             (if sel
                 (format "%s (%s), %s" (plist-get sel :id) (plist-get sel :authType)
                         (if (and model (eq (plist-get model :available) t))
                             "signed in" "signed out"))
               "no model selected")
             (if (or problems failed)
                 (format "; %d problem%s listed" (+ (length problems) (length failed))
                         (if (= 1 (+ (length problems) (length failed))) "" "s"))
               ""))))

;;;###autoload
(defun qwen-agent-show-config ()
  "Show the resolved configuration, each value with where it came from."
  (interactive)
  (let ((conf (qwen-agent--request "config/resolve" (make-hash-table))))
    (qwen-agent--with-info-buffer "*qwen-agent config*" #'qwen-agent-show-config
      (insert (format "Working folder: %s\n\n"
                      (abbreviate-file-name (or (plist-get conf :cwd) "?"))))
      (qwen-agent--insert-heading "Settings files (lowest precedence first)")
      (cl-loop for l across (or (plist-get conf :layers) [])
               do (insert (format "  %-15s " (plist-get l :scope)))
               (qwen-agent--insert-file (plist-get l :path))
               (insert (concat
                        (if (eq (plist-get l :exists) t) "" "  (absent)")
                        (if (eq (plist-get l :trusted) :json-false) "  (untrusted)" "")
                        (if-let ((e (plist-get l :error)))
                            (concat "\n      " (propertize e 'face 'error))
                          ""))
                       "\n"))
      (insert "\n")
      (qwen-agent--insert-heading ".env files")
      ;; Every file loaded, in load order: each name comes from the first that sets it.
      (let ((files (append (plist-get conf :dotenvFiles) nil)))
        (unless files (insert "  none found\n"))
        (dolist (d files)
          (insert "  ") (qwen-agent--insert-file (plist-get d :path))
          (insert (format "  (%s)\n" (plist-get d :scope)))
          (dolist (k '(:loaded :excluded :shadowed))
            (when-let ((v (append (plist-get d k) nil)))
              (insert (format "    %s: %s\n" (substring (symbol-name k) 1)
                              (string-join v ", ")))))))
      (insert "\n")
      (qwen-agent--insert-heading "Settings")
      (let ((settings (plist-get conf :settings)))
        (if (null settings)
            (insert "  none\n")
          (cl-loop for (k v) on settings by #'cddr
                   do (insert (format "  %s = %s\n      from %s\n"
                                      (substring (symbol-name k) 1)
                                      (qwen-agent--setting-text (plist-get v :value))
                                      (qwen-agent--source-text (plist-get v :source)))))))
      (insert "\n")
      (qwen-agent--insert-heading "Environment")
      (let ((env (plist-get conf :env)))
        (if (null env)
            (insert "  none\n")
          (cl-loop for (k v) on env by #'cddr
                   do (insert (format "  %s = %s\n      from %s\n"
                                      (substring (symbol-name k) 1)
                                      (or (plist-get v :redacted)
                                          (qwen-agent--json-text (plist-get v :value)))
                                      (qwen-agent--source-text (plist-get v :source)))))))
      (when-let ((diags (append (plist-get conf :diagnostics) nil)))
        (insert "\n")
        (qwen-agent--insert-heading "Problems")
        (dolist (d diags)
          (insert "  ")
          (qwen-agent--insert-file (or (plist-get d :path) "?"))
          (insert (format " %s: %s\n" (or (plist-get d :severity) "")
                          (propertize (or (plist-get d :message) "")
                                      'face (if (equal (plist-get d :severity) "error")
                                                'error 'warning))))))
      (when-let ((w (append (plist-get conf :warnings) nil)))
        (insert "\n")
        (qwen-agent--insert-heading "Warnings")
        (dolist (x w) (insert "  " x "\n"))))))

(defconst qwen-agent--setting-width 100
  "Widest setting value shown whole in the configuration buffer.")

(defun qwen-agent--model-list-p (value)
  "Return non-nil when VALUE is a JSON array of objects that have an id."
  (and (vectorp value) (> (length value) 0)
       (seq-every-p (lambda (e) (and (consp e) (plist-get e :id))) value)))

(defun qwen-agent--setting-text (value)
  "Return VALUE, a setting's parsed JSON value, short enough to read.
Lists of entries with an id (the models of `modelProviders') are
summed up by their ids.  Another value that fits in
`qwen-agent--setting-width' is shown whole, a larger one by its
keys; the file holds the rest."
  (let ((text (qwen-agent--json-text value)))
    (cond
     ((qwen-agent--model-list-p value)
      (format "%d model%s: %s" (length value) (if (= (length value) 1) "" "s")
              (mapconcat (lambda (e) (format "%s" (plist-get e :id))) value ", ")))
     ((<= (length text) qwen-agent--setting-width) text)
     ((and (consp value) (keywordp (car value)))
      (concat "{ "
              (mapconcat
               (lambda (cell)
                 (let ((k (substring (symbol-name (car cell)) 1))
                       (v (cdr cell)))
                   (cond ((qwen-agent--model-list-p v)
                          (format "%s: %d (%s)" k (length v)
                                  (mapconcat (lambda (e) (format "%s" (plist-get e :id)))
                                             v ", ")))
                         ((vectorp v) (format "%s: [%d]" k (length v)))
                         ((and (consp v) (keywordp (car v))) (format "%s: {…}" k))
                         (t (format "%s: %s" k (truncate-string-to-width
                                                (qwen-agent--json-text v) 40 nil nil "…"))))))
               (cl-loop for (k v) on value by #'cddr collect (cons k v))
               ", ")
              " }"))
     ((vectorp value) (format "[%d entries]" (length value)))
     (t (truncate-string-to-width text qwen-agent--setting-width nil nil "…")))))

(defun qwen-agent--json-text (value)
  "Return VALUE, a parsed JSON value, as compact text."
  (cond ((stringp value) value)
        ((eq value :json-false) "false")
        ((eq value t) "true")
        ((null value) "null")
        (t (condition-case nil
               (json-serialize value :false-object :json-false :null-object nil)
             (error (format "%S" value))))))

;;;###autoload
(defun qwen-agent-trust-folder (level)
  "Record a trust decision for the server's workspace folder.
LEVEL is \"TRUST_FOLDER\", \"TRUST_PARENT\" or \"DO_NOT_TRUST\".  A
trusted folder's own settings and .env file apply; an untrusted
one's are shown but not applied."
  (interactive
   (let* ((conn (qwen-agent--ensure))
          (root (abbreviate-file-name (qwen-agent--root conn)))
          (choices
           `((,(format "Trust %s" root) . "TRUST_FOLDER")
             (,(format "Trust its parent %s"
                       (abbreviate-file-name
                        (directory-file-name
                         (file-name-directory (qwen-agent--root conn)))))
              . "TRUST_PARENT")
             (,(format "Do not trust %s" root) . "DO_NOT_TRUST"))))
     (list (cdr (assoc (completing-read "Workspace trust: " choices nil t)
                       choices)))))
  (let ((result (qwen-agent--request "workspace/trust" (list :level level))))
    (message "qwen-agent: The workspace is %s"
             (if (eq (plist-get result :trusted) t) "trusted" "not trusted"))
    result))

;;;###autoload
(defun qwen-agent-restart ()
  "Restart the server of the current buffer."
  (interactive)
  (let ((key (qwen-agent--key-of-buffer)))
    (when-let ((conn (qwen-agent--live key)))
      (qwen-agent--stop conn))
    (qwen-agent--ensure key)
    (message "qwen-agent: Server restarted")))

;;;###autoload
(defun qwen-agent-shutdown (&optional all)
  "Stop the server of the current buffer; with ALL (prefix), every server."
  (interactive "P")
  (let ((conns (if all
                   (hash-table-values qwen-agent--connections)
                 (delq nil (list (qwen-agent--live))))))
    (dolist (conn conns) (qwen-agent--stop conn))
    (message "qwen-agent: %d server%s stopped" (length conns)
             (if (= (length conns) 1) "" "s"))))

;;;###autoload
(defun qwen-agent-events-buffer ()
  "Show the JSON-RPC events buffer of the current buffer's server."
  (interactive)
  (if-let ((conn (qwen-agent--live)))
      (display-buffer (jsonrpc-events-buffer conn))
    (user-error "qwen-agent: No server runs")))

;;;; Chat

(defcustom qwen-agent-chat-major-mode nil
  "Major mode of chat buffers.
When nil, `markdown-mode' when it is installed, else `text-mode'.
The chat's own keys come from the minor mode
`qwen-agent-chat-mode', which wins over the major mode's."
  :type '(choice (const :tag "markdown-mode when installed, else text-mode" nil)
                 function))

(defcustom qwen-agent-chat-timeout nil
  "Seconds to wait for a chat turn to end, or nil to wait as long as it runs.
The reply streams in meanwhile; \\[qwen-agent-chat-cancel] ends it."
  :type '(choice (const :tag "No limit" nil) number))

(defcustom qwen-agent-chat-show-thinking nil
  "Whether a thinking model's thinking is shown in new chat buffers.
When nil it is folded to an ellipsis after its heading;
\\[qwen-agent-chat-toggle-thinking] shows or hides it."
  :type 'boolean)

(defface qwen-agent-chat-thinking
  '((t :inherit shadow))
  "Face for a thinking model's thinking in chat buffers.")

(defface qwen-agent-chat-note
  '((t :inherit font-lock-comment-face))
  "Face for the notes of a chat buffer: cancelled, errors, warnings.")

(defvar qwen-agent-chat--buffers (make-hash-table :test #'equal)
  "Chat buffers by chat id, for the server's `chat/didUpdate'.")

(defvar-local qwen-agent-chat--key nil
  "The key of the server this chat buffer talks to.")
(defvar-local qwen-agent-chat--id nil
  "The chat id, or nil until the first message starts the chat.")
(defvar-local qwen-agent-chat--chat-model nil
  "The chat's model (a ModelRef plist), or nil before it started.")
(defvar-local qwen-agent-chat--out nil
  "Marker at the end of the transcript: replies are inserted there.")
(defvar-local qwen-agent-chat--input nil
  "Marker at the start of the message being typed.")
(defvar-local qwen-agent-chat--context nil
  "Context items (ContextItem plists) attached to the next message.")
(defvar-local qwen-agent-chat--turn nil
  "The running turn: a plist (:conn :id :part :pieces :cancel), or nil.
:pieces are its text deltas so far, newest first.")
(defvar-local qwen-agent-chat--usage nil
  "The token usage of the last turn, a plist, or nil.")
(defvar-local qwen-agent-chat--state nil
  "How the last turn ended, in a word, for the header line, or nil.")

(defvar qwen-agent-chat-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-c") #'qwen-agent-chat-send)
    (define-key map (kbd "C-c C-k") #'qwen-agent-chat-cancel)
    (define-key map (kbd "C-c C-t") #'qwen-agent-chat-toggle-thinking)
    (define-key map (kbd "C-c C-l") #'qwen-agent-chat-list)
    (define-key map (kbd "C-c C-n") #'qwen-agent-chat-new)
    map)
  "Keymap of `qwen-agent-chat-mode'.")

(define-minor-mode qwen-agent-chat-mode
  "Minor mode of qwen-agent chat buffers.
Type a message at the end of the buffer and send it with
\\[qwen-agent-chat-send]; the reply streams in above it, and
\\[qwen-agent-chat-cancel] stops it (what came so far is kept).
\\[qwen-agent-chat-toggle-thinking] shows or hides a thinking model's
thinking.  The header line shows the model and the last turn's
token usage.

\\{qwen-agent-chat-mode-map}"
  :lighter " Qwen-Chat"
  :keymap qwen-agent-chat-mode-map)

(defun qwen-agent-chat--major-mode ()
  "Return the major mode function for a new chat buffer."
  (or qwen-agent-chat-major-mode
      (if (fboundp 'markdown-mode) 'markdown-mode 'text-mode)))

(defun qwen-agent-chat--conn ()
  "Return the live connection of this chat buffer's server, or nil."
  (qwen-agent--live qwen-agent-chat--key))

(defun qwen-agent-chat--model ()
  "Return the model this chat talks to: the chat's, else the selection."
  (or qwen-agent-chat--chat-model
      (when-let ((conn (qwen-agent-chat--conn)))
        (qwen-agent--selected conn))))

(defun qwen-agent-chat--usage-text (usage)
  "Return the token USAGE plist of a turn in words."
  (when usage
    (string-join
     (delq nil
           (list (format "in %s" (plist-get usage :inputTokens))
                 (format "out %s" (plist-get usage :outputTokens))
                 (when-let ((r (plist-get usage :reasoningTokens)))
                   (format "thinking %s" r))
                 (when-let ((c (plist-get usage :cachedTokens)))
                   (format "cached %s" c))))
     " · ")))

(defun qwen-agent-chat--header-line ()
  "Return the header line of a chat buffer: the model and the usage."
  (let ((model (qwen-agent-chat--model)))
    (string-join
     (delq nil
           (list " Qwen chat"
                 (if model
                     (format "%s (%s)" (plist-get model :id)
                             (plist-get model :authType))
                   "no model selected")
                 (when-let ((u (qwen-agent-chat--usage-text qwen-agent-chat--usage)))
                   (concat u " tokens"))
                 (cond (qwen-agent-chat--turn
                        (if (plist-get qwen-agent-chat--turn :cancel)
                            "cancelling…" "replying… (C-c C-k cancels)"))
                       (qwen-agent-chat--state))))
     " │ ")))

(defun qwen-agent-chat--check ()
  "Signal a `user-error' unless the current buffer is a chat buffer."
  (unless (and qwen-agent-chat-mode (markerp qwen-agent-chat--out))
    (user-error "qwen-agent: Not a chat buffer (M-x qwen-agent-chat opens one)")))

(defun qwen-agent-chat--insert (&rest strings)
  "Insert STRINGS at the end of the transcript, read-only.
Point and the message being typed stay where they are."
  (let ((inhibit-read-only t))
    (save-excursion
      (goto-char qwen-agent-chat--out)
      (let ((start (point)))
        (apply #'insert strings)
        (add-text-properties start (point) '(read-only t front-sticky (read-only)))))))

(defun qwen-agent-chat--prompt-text ()
  "Return the text between the transcript and the message being typed."
  (concat
   (mapconcat (lambda (c)
                (propertize (format "[context: %s]\n" (qwen-agent-chat--context-label c))
                            'face 'qwen-agent-chat-note))
              qwen-agent-chat--context "")
   (propertize "──── Message (C-c C-c sends) ────\n" 'face 'qwen-agent-heading)))

(defun qwen-agent-chat--render-prompt ()
  "Redraw the prompt above the message being typed."
  (let ((inhibit-read-only t)
        (end (marker-position qwen-agent-chat--out)))
    (save-excursion
      (delete-region qwen-agent-chat--out qwen-agent-chat--input)
      (goto-char qwen-agent-chat--out)
      (insert (qwen-agent-chat--prompt-text))
      ;; Read-only, but text typed right after it is the message.
      (add-text-properties end (point) '(read-only t front-sticky t rear-nonsticky t))
      (set-marker qwen-agent-chat--input (point))
      (set-marker qwen-agent-chat--out end))))

(defun qwen-agent-chat--setup (key)
  "Make the current buffer an empty chat buffer for the server KEY."
  (funcall (qwen-agent-chat--major-mode))
  (qwen-agent-chat-mode 1)
  (setq qwen-agent-chat--key key
        header-line-format '(:eval (qwen-agent-chat--header-line)))
  (add-to-invisibility-spec '(qwen-agent-chat-thinking . t))
  (when qwen-agent-chat-show-thinking
    (remove-from-invisibility-spec '(qwen-agent-chat-thinking . t)))
  (let ((inhibit-read-only t))
    (erase-buffer))
  (setq qwen-agent-chat--out (copy-marker (point-min) t)
        qwen-agent-chat--input (copy-marker (point-min)))
  (qwen-agent-chat--render-prompt)
  (add-hook 'kill-buffer-hook #'qwen-agent-chat--killed nil t)
  (goto-char (point-max)))

(defun qwen-agent-chat--register (id)
  "Record ID as the current buffer's chat id."
  (setq qwen-agent-chat--id id)
  (puthash id (current-buffer) qwen-agent-chat--buffers))

(defun qwen-agent-chat--killed ()
  "Cancel the running turn of a chat buffer being killed, and forget it."
  (qwen-agent-chat--send-cancel)
  (when (and qwen-agent-chat--id
             (eq (gethash qwen-agent-chat--id qwen-agent-chat--buffers) (current-buffer)))
    (remhash qwen-agent-chat--id qwen-agent-chat--buffers)))

;;;;; Context

(defconst qwen-agent-chat--language-ids
  '((emacs-lisp-mode . "emacs-lisp") (lisp-interaction-mode . "emacs-lisp")
    (c++-mode . "cpp") (js-mode . "javascript") (js2-mode . "javascript")
    (sh-mode . "shellscript") (bash-ts-mode . "shellscript")
    (tsx-ts-mode . "typescriptreact") (cperl-mode . "perl")
    (makefile-gmake-mode . "makefile") (fundamental-mode . nil))
  "LSP language ids of the major modes whose name does not say it.")

(defun qwen-agent-chat--language-id ()
  "Return the LSP language id of the current buffer, or nil."
  (let ((cell (assq major-mode qwen-agent-chat--language-ids)))
    (if cell
        (cdr cell)
      (let ((name (symbol-name major-mode)))
        (when (string-match "\\`\\(.+?\\)\\(-ts\\)?-mode\\'" name)
          (match-string 1 name))))))

(defun qwen-agent-chat--position (pos)
  "Return POS as an LSP position: a line and its UTF-16 column, from 0."
  (save-excursion
    (goto-char pos)
    (list :line (1- (line-number-at-pos pos t))
          :character (/ (length (encode-coding-string
                                 (buffer-substring-no-properties (line-beginning-position) pos)
                                 'utf-16le))
                        2))))

(defun qwen-agent-chat--context-item (beg end)
  "Return the text between BEG and END of the current buffer as a ContextItem."
  (let ((lang (qwen-agent-chat--language-id)))
    (append
     (when buffer-file-name (list :uri (qwen-agent--path-to-uri buffer-file-name)))
     (when lang (list :languageId lang))
     (list :text (buffer-substring-no-properties beg end)
           :range (list :start (qwen-agent-chat--position beg)
                        :end (qwen-agent-chat--position end)))
     ;; Shown in the chat buffer only; never sent.
     (list :label (buffer-name)))))

(defun qwen-agent-chat--context-label (item)
  "Return a short description of the ContextItem ITEM: file, lines, language."
  (let* ((uri (plist-get item :uri))
         (name (if uri
                   (abbreviate-file-name (qwen-agent--uri-to-path uri))
                 (or (plist-get item :label) "text")))
         (range (plist-get item :range))
         (a (and range (1+ (plist-get (plist-get range :start) :line))))
         (b (and range (1+ (plist-get (plist-get range :end) :line)))))
    (concat name
            (cond ((null a) "")
                  ((eql a b) (format " line %d" a))
                  (t (format " lines %d-%d" a b)))
            (if-let ((lang (plist-get item :languageId)))
                (format " (%s)" lang)
              ""))))

(defun qwen-agent-chat--wire-context (item)
  "Return the ContextItem ITEM as the protocol has it."
  (let (out)
    (dolist (k '(:uri :languageId :text :range))
      (when (plist-member item k)
        (setq out (append out (list k (plist-get item k))))))
    out))

(defun qwen-agent-chat--add-context (item)
  "Attach the ContextItem ITEM to the next message of this chat buffer."
  (setq qwen-agent-chat--context (append qwen-agent-chat--context (list item)))
  (qwen-agent-chat--render-prompt))

;;;;; The transcript

(defun qwen-agent-chat--fence (text)
  "Return a Markdown fence longer than any run of backquotes in TEXT."
  (let ((longest 0) (start 0))
    (while (string-match "`+" text start)
      (setq longest (max longest (- (match-end 0) (match-beginning 0)))
            start (match-end 0)))
    (make-string (max 3 (1+ longest)) ?`)))

(defun qwen-agent-chat--insert-user (text context)
  "Insert the user's message TEXT, with its CONTEXT items, in the transcript."
  (qwen-agent-chat--insert (propertize "## You" 'face 'qwen-agent-heading) "\n\n")
  (dolist (c context)
    (let* ((body (plist-get c :text))
           (fence (qwen-agent-chat--fence body)))
      (qwen-agent-chat--insert
       (propertize (qwen-agent-chat--context-label c) 'face 'qwen-agent-chat-note)
       ":\n" fence (or (plist-get c :languageId) "") "\n" body
       (if (string-suffix-p "\n" body) "" "\n") fence "\n\n")))
  (unless (string-empty-p text)
    (qwen-agent-chat--insert text "\n\n")))

(defun qwen-agent-chat--insert-assistant (model)
  "Insert the heading of a reply by MODEL (a model plist or nil)."
  (qwen-agent-chat--insert
   (propertize (if model (format "## Qwen (%s)" (plist-get model :id)) "## Qwen")
               'face 'qwen-agent-heading)
   "\n\n"))

(defun qwen-agent-chat--insert-piece (kind text part)
  "Insert TEXT of KIND (\"text\" or \"thinking\") of a reply.
PART is the kind of the piece before it in the reply, or nil;
return the kind now in progress."
  (cond
   ((equal kind "thinking")
    (unless (eq part 'thinking)
      (qwen-agent-chat--insert
       (propertize "Thinking (C-c C-t shows or hides it)" 'face 'qwen-agent-chat-note)
       (propertize "\n" 'invisible 'qwen-agent-chat-thinking)))
    (qwen-agent-chat--insert (propertize text 'face 'qwen-agent-chat-thinking
                                         'invisible 'qwen-agent-chat-thinking))
    'thinking)
   (t
    (when (eq part 'thinking)
      (qwen-agent-chat--insert "\n\n"))
    (qwen-agent-chat--insert text)
    'text)))

(defun qwen-agent-chat--note (text)
  "Insert TEXT as a note of the transcript, on a line of its own."
  (qwen-agent-chat--insert (propertize (format "[%s]" text) 'face 'qwen-agent-chat-note) "\n"))

(defun qwen-agent-chat--fresh-line ()
  "End the transcript's last line unless it is ended."
  (unless (or (= qwen-agent-chat--out (point-min))
              (eq (char-before qwen-agent-chat--out) ?\n))
    (qwen-agent-chat--insert "\n")))

(defun qwen-agent-chat--end-note (stop error warnings)
  "Insert the notes that end a reply: its STOP reason, ERROR and WARNINGS."
  (qwen-agent-chat--fresh-line)
  (pcase stop
    ("cancelled" (qwen-agent-chat--note "cancelled"))
    ("length" (qwen-agent-chat--note "stopped: the answer reached its token limit"))
    ("error" (qwen-agent-chat--note
              (format "error: %s" (or (plist-get error :message) "the provider failed")))))
  (dolist (w (append warnings nil))
    (qwen-agent-chat--note (format "warning: %s" w)))
  (qwen-agent-chat--insert "\n"))

;;;;; Turns

(defun qwen-agent-chat--on-update (params)
  "Insert the `chat/didUpdate' PARAMS into their chat buffer."
  (let ((buf (gethash (plist-get params :chatId) qwen-agent-chat--buffers)))
    (when (buffer-live-p buf)
      (with-current-buffer buf
        (when-let ((turn qwen-agent-chat--turn))
          (let ((kind (plist-get params :kind))
                (delta (or (plist-get params :delta) "")))
            (setq turn (plist-put turn :part
                                  (qwen-agent-chat--insert-piece
                                   kind delta (plist-get turn :part))))
            (when (equal kind "text")
              (setq turn (plist-put turn :pieces (cons delta (plist-get turn :pieces)))))
            (setq qwen-agent-chat--turn turn)))))))

(defun qwen-agent-chat--done (state)
  "End the running turn; STATE, a word or two for the header line, is how."
  (setq qwen-agent-chat--turn nil
        qwen-agent-chat--state state)
  (force-mode-line-update))

(defun qwen-agent-chat--finish (result)
  "End the running turn with the `chat/send' RESULT."
  (let* ((turn qwen-agent-chat--turn)
         (got (apply #'concat (reverse (plist-get turn :pieces))))
         (text (or (plist-get result :text) ""))
         (stop (plist-get result :stopReason)))
    ;; The deltas add up to the text; anything they missed goes in now.
    (when (and (> (length text) (length got)) (string-prefix-p got text))
      (qwen-agent-chat--insert-piece "text" (substring text (length got))
                                     (plist-get turn :part)))
    (setq qwen-agent-chat--usage (plist-get result :usage))
    (qwen-agent-chat--end-note stop (plist-get result :error) (plist-get result :warnings))
    (qwen-agent-chat--done (pcase stop
                             ("end" nil)
                             ("length" "stopped at the token limit")
                             ("cancelled" "cancelled")
                             ("error" (concat "error: " (plist-get (plist-get result :error)
                                                                   :code)))))))

(defun qwen-agent-chat--fail (err text)
  "End the running turn with the request error ERR.
TEXT, the message that was not answered, goes back to the input
when no reply came and nothing was typed since."
  (let* ((cancelled (eql (plist-get err :code) -32800))
         (unanswered (and (not cancelled)
                          (null (plist-get qwen-agent-chat--turn :pieces)))))
    (qwen-agent-chat--fresh-line)
    (qwen-agent-chat--note (cond (cancelled "cancelled before it started")
                                 (unanswered (format "not sent: %s"
                                                     (qwen-agent--error-text err)))
                                 (t (format "error: %s" (qwen-agent--error-text err)))))
    (qwen-agent-chat--insert "\n")
    (when (and unanswered text
               (= (marker-position qwen-agent-chat--input) (point-max)))
      (save-excursion (goto-char (point-max)) (insert text)))
    (qwen-agent-chat--done (cond (cancelled "cancelled") (unanswered "not sent") (t "error")))
    (unless cancelled
      (message "qwen-agent: %s" (qwen-agent--error-text err)))))

(defun qwen-agent-chat--send-turn (conn text context buf)
  "Send TEXT with CONTEXT to the chat of BUF on CONN, as a `chat/send'."
  (with-current-buffer buf
    (qwen-agent-chat--insert-assistant (qwen-agent-chat--model))
    (qwen-agent--async
     "chat/send"
     (append (list :chatId qwen-agent-chat--id :text text)
             (when context
               (list :context (vconcat (mapcar #'qwen-agent-chat--wire-context context)))))
     :conn conn
     :timeout qwen-agent-chat-timeout
     :on-id (lambda (id)
              (when (buffer-live-p buf)
                (with-current-buffer buf
                  (when qwen-agent-chat--turn
                    (setq qwen-agent-chat--turn (plist-put qwen-agent-chat--turn :id id))
                    (when (plist-get qwen-agent-chat--turn :cancel)
                      (qwen-agent-chat--send-cancel))))))
     :on-success (lambda (result)
                   (when (buffer-live-p buf)
                     (with-current-buffer buf
                       (when qwen-agent-chat--turn (qwen-agent-chat--finish result)))))
     :on-error (lambda (err)
                 (when (buffer-live-p buf)
                   (with-current-buffer buf
                     (when qwen-agent-chat--turn (qwen-agent-chat--fail err text))))))))

(defun qwen-agent-chat-send ()
  "Send the message typed at the end of the chat buffer.
The context attached with `qwen-agent-chat-region' goes with it.
The reply streams into the buffer; typing goes on meanwhile."
  (interactive)
  (qwen-agent-chat--check)
  (when qwen-agent-chat--turn
    (user-error "qwen-agent: A reply is still coming (C-c C-k cancels it)"))
  (let ((text (string-trim (buffer-substring-no-properties qwen-agent-chat--input
                                                           (point-max))))
        (context qwen-agent-chat--context)
        (conn (qwen-agent--ensure qwen-agent-chat--key))
        (buf (current-buffer)))
    (when (and (string-empty-p text) (null context))
      (user-error "qwen-agent: Type a message first, then C-c C-c"))
    (let ((inhibit-read-only t))
      (delete-region qwen-agent-chat--input (point-max)))
    (setq qwen-agent-chat--context nil)
    (qwen-agent-chat--render-prompt)
    (qwen-agent-chat--insert-user text context)
    (setq qwen-agent-chat--turn (list :conn conn :pieces nil :part nil)
          qwen-agent-chat--state nil)
    (force-mode-line-update)
    (if qwen-agent-chat--id
        (qwen-agent-chat--send-turn conn text context buf)
      (qwen-agent--async
       "chat/start" (make-hash-table)
       :conn conn
       :on-success (lambda (result)
                     (when (buffer-live-p buf)
                       (with-current-buffer buf
                         (qwen-agent-chat--register (plist-get result :chatId))
                         (setq qwen-agent-chat--chat-model (plist-get result :model))
                         (if (plist-get qwen-agent-chat--turn :cancel)
                             (qwen-agent-chat--fail '(:code -32800) text)
                           (qwen-agent-chat--send-turn conn text context buf)))))
       :on-error (lambda (err)
                   (when (buffer-live-p buf)
                     (with-current-buffer buf
                       (qwen-agent-chat--fail err text))))))))

(defun qwen-agent-chat--send-cancel ()
  "Ask the server to cancel the running turn; return non-nil if asked."
  (let* ((turn qwen-agent-chat--turn)
         (conn (plist-get turn :conn))
         (id (plist-get turn :id)))
    (when turn
      (setq qwen-agent-chat--turn (plist-put turn :cancel t))
      (when (and id (jsonrpc-running-p conn))
        (jsonrpc-notify conn :$/cancelRequest (list :id id))
        t))))

(defun qwen-agent-chat-cancel ()
  "Cancel the reply that is coming; what came so far is kept."
  (interactive)
  (qwen-agent-chat--check)
  (if (null qwen-agent-chat--turn)
      (message "qwen-agent: No reply is coming")
    (qwen-agent-chat--send-cancel)
    (force-mode-line-update)
    (message "qwen-agent: Cancelling the reply")))

(defun qwen-agent-chat-toggle-thinking ()
  "Show or hide the thinking of a thinking model in this chat buffer."
  (interactive)
  (if (assq 'qwen-agent-chat-thinking buffer-invisibility-spec)
      (remove-from-invisibility-spec '(qwen-agent-chat-thinking . t))
    (add-to-invisibility-spec '(qwen-agent-chat-thinking . t)))
  (force-window-update (current-buffer)))

;;;;; Commands

(defun qwen-agent-chat--find-buffer (key)
  "Return the most recent chat buffer of the server KEY, or nil."
  (cl-find-if (lambda (b)
                (with-current-buffer b
                  (and qwen-agent-chat-mode (markerp qwen-agent-chat--out)
                       (equal qwen-agent-chat--key key))))
              (buffer-list)))

(defun qwen-agent-chat--new-buffer (key &optional name)
  "Return a new empty chat buffer for the server KEY, called NAME."
  (let ((dir default-directory))
    (with-current-buffer (generate-new-buffer (or name "*qwen-agent chat*"))
      (setq default-directory dir)
      (qwen-agent-chat--setup key)
      (current-buffer))))

(defun qwen-agent-chat--show (buf)
  "Show the chat buffer BUF and put point in its message."
  (pop-to-buffer buf)
  (when (< (point) qwen-agent-chat--input)
    (goto-char (point-max)))
  buf)

;;;###autoload
(defun qwen-agent-chat (&optional new)
  "Open a chat with the model and return its buffer.
\\<qwen-agent-chat-mode-map>Type a message at the end and send it with
\\[qwen-agent-chat-send].  The buffer of the last chat is reused;
with a prefix argument NEW, or \\[qwen-agent-chat-new] in it, a new
chat starts.  When the region is active, it is attached to the
next message as context, as by `qwen-agent-chat-region'."
  (interactive "P")
  (let* ((key (qwen-agent--key-of-buffer))
         (item (and (use-region-p)
                    (qwen-agent-chat--context-item (region-beginning) (region-end))))
         (buf (or (and (not new) (qwen-agent-chat--find-buffer key))
                  (qwen-agent-chat--new-buffer key))))
    ;; Started now, so that the header line can name the model.
    (qwen-agent--ensure key)
    (when item
      (deactivate-mark)
      (with-current-buffer buf (qwen-agent-chat--add-context item)))
    (qwen-agent-chat--show buf)))

(defun qwen-agent-chat-new ()
  "Start a new chat, with the same server, in a buffer of its own."
  (interactive)
  (if (not qwen-agent-chat-mode)
      (qwen-agent-chat t)
    (let ((buf (qwen-agent-chat--new-buffer qwen-agent-chat--key)))
      (qwen-agent--ensure qwen-agent-chat--key)
      (qwen-agent-chat--show buf))))

;;;###autoload
(defun qwen-agent-chat-region (beg end &optional new)
  "Attach the text between BEG and END to the next chat message.
Interactively, the region.  It is sent as context (its file,
language and lines go with it) when the message is sent with
\\<qwen-agent-chat-mode-map>\\[qwen-agent-chat-send].  With a prefix argument
NEW, in a new chat.  Return the chat buffer."
  (interactive "r\nP")
  (let* ((key (qwen-agent--key-of-buffer))
         (item (qwen-agent-chat--context-item beg end))
         (buf (or (and (not new) (qwen-agent-chat--find-buffer key))
                  (qwen-agent-chat--new-buffer key))))
    (qwen-agent--ensure key)
    (deactivate-mark)
    (with-current-buffer buf (qwen-agent-chat--add-context item))
    (message "qwen-agent: %s attached; type your question, then C-c C-c"
             (qwen-agent-chat--context-label item))
    (qwen-agent-chat--show buf)))

(defun qwen-agent-chat--render-history (history)
  "Fill the current chat buffer with HISTORY, a `chat/history' result."
  (let ((model (plist-get history :model)))
    (qwen-agent-chat--register (plist-get history :chatId))
    (setq qwen-agent-chat--chat-model model)
    (cl-loop for m across (or (plist-get history :messages) [])
             do (if (equal (plist-get m :role) "user")
                    (qwen-agent-chat--insert-user (or (plist-get m :text) "")
                                                  (append (plist-get m :context) nil))
                  (qwen-agent-chat--insert-assistant (or (plist-get m :model) model))
                  (let ((part nil))
                    (when-let ((th (plist-get m :thinking)))
                      (setq part (qwen-agent-chat--insert-piece "thinking" th nil)))
                    (qwen-agent-chat--insert-piece "text" (or (plist-get m :text) "") part))
                  (qwen-agent-chat--end-note (plist-get m :stopReason)
                                             (plist-get m :error) nil)
                  (when (plist-get m :usage)
                    (setq qwen-agent-chat--usage (plist-get m :usage)))))))

(defun qwen-agent-chat--read-chat (chats)
  "Read one of CHATS, `chat/list' summaries, by its title."
  (let* ((seen (make-hash-table :test #'equal))
         (cands (mapcar (lambda (c)
                          (let* ((title (plist-get c :title))
                                 (n (puthash title (1+ (gethash title seen 0)) seen)))
                            (cons (if (= n 1) title (format "%s <%d>" title n)) c)))
                        chats))
         ;; Titles are sentences: SPC types a space instead of completing.
         (space (lambda (parent)
                  (let ((map (make-sparse-keymap)))
                    (set-keymap-parent map parent)
                    (define-key map " " #'self-insert-command)
                    map)))
         (minibuffer-local-completion-map (funcall space minibuffer-local-completion-map))
         (minibuffer-local-must-match-map (funcall space minibuffer-local-must-match-map)))
    (qwen-agent--completing-read
     "Resume chat" cands
     :annotate (lambda (c)
                 (format "%s · %d turn%s · %s"
                         (plist-get (plist-get c :model) :id)
                         (plist-get c :turns)
                         (if (eql (plist-get c :turns) 1) "" "s")
                         (or (qwen-agent--format-time (plist-get c :updatedAt)) "")))
     :category 'qwen-agent-chat)))

;;;###autoload
(defun qwen-agent-chat-list ()
  "Resume a saved chat, chosen by its title among the server's, newest first.
Chats are kept by the server (they survive restarts and are shared
with other editors); the chosen one opens with its whole history."
  (interactive)
  (let* ((key (if qwen-agent-chat-mode qwen-agent-chat--key (qwen-agent--key-of-buffer)))
         (conn (qwen-agent--ensure key))
         (chats (append (plist-get (qwen-agent--request "chat/list" (make-hash-table)
                                                        :conn conn)
                                   :chats)
                        nil)))
    (unless chats
      (user-error "qwen-agent: No saved chats yet (M-x qwen-agent-chat starts one)"))
    (let* ((chat (qwen-agent-chat--read-chat chats))
           (id (plist-get chat :chatId))
           (open (gethash id qwen-agent-chat--buffers)))
      (if (buffer-live-p open)
          (qwen-agent-chat--show open)
        (let* ((history (qwen-agent--request "chat/history" (list :chatId id) :conn conn))
               (buf (qwen-agent-chat--new-buffer
                     key (format "*qwen-agent chat: %s*"
                                 (truncate-string-to-width
                                  (or (plist-get history :title) id) 40 nil nil "…")))))
          (with-current-buffer buf
            (qwen-agent-chat--render-history history))
          (qwen-agent-chat--show buf))))))

;;;###autoload
(defvar qwen-agent-command-map
  (let ((map (make-sparse-keymap)))
    (define-key map "l" #'qwen-agent-login)
    (define-key map "L" #'qwen-agent-logout)
    (define-key map "m" #'qwen-agent-select-model)
    (define-key map "t" #'qwen-agent-test-model)
    (define-key map "s" #'qwen-agent-status)
    (define-key map "c" #'qwen-agent-show-config)
    (define-key map "T" #'qwen-agent-trust-folder)
    (define-key map "r" #'qwen-agent-restart)
    (define-key map "k" #'qwen-agent-shutdown)
    (define-key map "e" #'qwen-agent-events-buffer)
    (define-key map "a" #'qwen-agent-chat)
    (define-key map "A" #'qwen-agent-chat-list)
    map)
  "Keymap of the qwen-agent commands, bound to no key by default.
Bind it to a prefix of your choice, for example:

  (global-set-key (kbd \"C-c q\") qwen-agent-command-map)

\\{qwen-agent-command-map}")

(defun qwen-agent--kill-emacs ()
  "Stop every server when Emacs exits, without reporting their exit."
  (dolist (conn (hash-table-values qwen-agent--connections))
    (setf (qwen-agent--stopping conn) t)
    (when (process-live-p (qwen-agent--proc conn))
      (delete-process (qwen-agent--proc conn)))))

(add-hook 'kill-emacs-hook #'qwen-agent--kill-emacs)

(provide 'qwen-agent)
;;; qwen-agent.el ends here

;;; qwen-agent-tests.el --- ERT tests for qwen-agent -*- lexical-binding: t; -*-

;;; Commentary:

;; These tests drive the real qwen-agent-server (dist/server.js of this
;; repository, or the file QWEN_AGENT_TEST_SERVER names: build it first
;; with `npm run build') in a temporary
;; HOME, with every provider variable removed from its environment.
;; Nothing reaches the network but 127.0.0.1.
;;
;; Run them in batch mode with
;;
;;   emacs -Q --batch -L clients/emacs -l clients/emacs/test/qwen-agent-tests.el \
;;         -f qwen-agent-tests-run-batch
;;
;; test/clients/emacs.test.ts does that for `npm test'.  It also starts
;; the loopback peers and passes them in QWEN_AGENT_TEST_PROVIDER and
;; QWEN_AGENT_TEST_OIDC (each the JSON line the peer printed); without
;; them the tests start the peers themselves.  With
;; QWEN_AGENT_ERT_RESULTS set, one JSON line per test is appended to
;; that file as each test ends.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'subr-x)
(require 'url)
(require 'qwen-agent)

(defconst qwen-agent-tests--repo
  (file-name-as-directory
   (expand-file-name "../../.." (file-name-directory
                                 (or load-file-name buffer-file-name))))
  "The repository root.")

(defconst qwen-agent-tests--scrub
  (rx bos (or "OPENAI_" "ANTHROPIC_" "GEMINI_" "GOOGLE_" "DASHSCOPE_"
              "BAILIAN_" "QWEN_" "HTTP_PROXY=" "HTTPS_PROXY=" "http_proxy="
              "https_proxy=" "NO_PROXY=" "no_proxy=" "ALL_PROXY=" "all_proxy="))
  "Environment entries that would leak a real setup into a test.")

(defun qwen-agent-tests--server ()
  "Return the server under test: QWEN_AGENT_TEST_SERVER, else dist/server.js."
  (let ((file (getenv "QWEN_AGENT_TEST_SERVER")))
    (if (and file (not (string-empty-p file)))
        file
      (expand-file-name "dist/server.js" qwen-agent-tests--repo))))

(defconst qwen-agent-tests--initial-env process-environment
  "The environment Emacs started with, where the peers are described.")

(defvar qwen-agent-tests--root nil "The sandbox of the running test.")
(defvar qwen-agent-tests--home nil "The HOME of the running test's servers.")
(defvar qwen-agent-tests--project nil "The project folder of the running test.")
(defvar qwen-agent-tests--peers nil "Peer processes this Emacs started.")

(defun qwen-agent-tests--clean-env ()
  "Return `process-environment' without provider or proxy variables."
  (cl-remove-if (lambda (e) (string-match-p qwen-agent-tests--scrub e))
                process-environment))

(defun qwen-agent-tests--stop-all ()
  "Stop every server and forget every exit."
  (dolist (conn (hash-table-values qwen-agent--connections))
    (ignore-errors (qwen-agent--stop conn)))
  (clrhash qwen-agent--connections)
  (clrhash qwen-agent--exits)
  (when-let ((buf (get-buffer qwen-agent--login-buffer)))
    (kill-buffer buf)))

(defmacro qwen-agent-tests--with-sandbox (&rest body)
  "Run BODY with a fresh temporary HOME and project, then stop the servers."
  (declare (indent 0) (debug t))
  `(let* ((qwen-agent-tests--root (file-name-as-directory
                                   (make-temp-file "qwen-agent-ert-" t)))
          (qwen-agent-tests--home (expand-file-name "home" qwen-agent-tests--root))
          (qwen-agent-tests--project (expand-file-name "work/project"
                                                       qwen-agent-tests--root))
          (etc (expand-file-name "etc" qwen-agent-tests--root))
          (qwen-agent-server-command (list "node" (qwen-agent-tests--server)))
          (qwen-agent-server-args nil)
          (qwen-agent-server-scope 'global)
          (qwen-agent-open-browser nil)
          (qwen-agent-request-timeout 20)
          (qwen-agent-initialization-options nil)
          (qwen-agent-model-changed-functions nil)
          (qwen-agent-auth-changed-functions nil)
          (process-environment (qwen-agent-tests--clean-env))
          (qwen-agent-server-environment
           (list (concat "HOME=" qwen-agent-tests--home)
                 (concat "QWEN_CODE_SYSTEM_SETTINGS_PATH="
                         (expand-file-name "settings.json" etc))
                 (concat "QWEN_CODE_SYSTEM_DEFAULTS_PATH="
                         (expand-file-name "system-defaults.json" etc))
                 (concat "QWEN_CODE_TRUSTED_FOLDERS_PATH="
                         (expand-file-name ".qwen/trustedFolders.json"
                                           qwen-agent-tests--home))
                 ;; Nothing leaves 127.0.0.1: a request to any other host (a
                 ;; preset's key check) goes to a proxy that refuses it.
                 ;; Chats are kept under the sandbox, whatever the developer's XDG.
                 (concat "XDG_STATE_HOME="
                         (expand-file-name "state" qwen-agent-tests--root))
                 "HTTPS_PROXY=http://127.0.0.1:9"
                 "HTTP_PROXY=http://127.0.0.1:9"
                 "NO_PROXY=127.0.0.1,localhost"
                 ;; Unreachable unless a test points them at its peer.
                 "QWEN_OAUTH_DEVICE_AUTHORIZATION_URL=http://127.0.0.1:9/device"
                 "QWEN_OAUTH_TOKEN_URL=http://127.0.0.1:9/token")))
     (make-directory qwen-agent-tests--home t)
     (make-directory qwen-agent-tests--project t)
     (make-directory etc t)
     (qwen-agent-tests--stop-all)
     (with-current-buffer (messages-buffer)
       (let ((inhibit-read-only t)) (erase-buffer)))
     (unwind-protect
         (with-temp-buffer
           (setq default-directory (file-name-as-directory qwen-agent-tests--project))
           ,@body)
       (qwen-agent-tests--stop-all)
       (delete-directory qwen-agent-tests--root t))))

(defun qwen-agent-tests--wait (pred &optional seconds what)
  "Wait until PRED returns non-nil, at most SECONDS (default 15).
Fail the test naming WHAT when it does not."
  (let ((deadline (+ (float-time) (or seconds 15)))
        value)
    (while (and (not (setq value (funcall pred)))
                (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (or value
        (ert-fail (format "Timed out waiting for %s" (or what pred))))))

(defun qwen-agent-tests--write (file text)
  "Write TEXT to FILE, creating its folders."
  (make-directory (file-name-directory file) t)
  (with-temp-file file (insert text)))

(defun qwen-agent-tests--read (file)
  "Return the contents of FILE, or nil when it does not exist."
  (when (file-exists-p file)
    (with-temp-buffer
      (insert-file-contents file)
      (buffer-string))))

(defun qwen-agent-tests--user-settings ()
  "Return the file name of the sandbox's user settings."
  (expand-file-name ".qwen/settings.json" qwen-agent-tests--home))

(defun qwen-agent-tests--messages ()
  "Return the text of *Messages*."
  (with-current-buffer (messages-buffer) (buffer-string)))

(defun qwen-agent-tests--ready ()
  "Start the server of the current buffer and wait until it is initialized."
  (let ((conn (qwen-agent--ensure)))
    (qwen-agent-tests--wait (lambda () (qwen-agent--ready conn)) 20 "initialize")
    (should (eq (qwen-agent--ready conn) t))
    conn))

(defun qwen-agent-tests--peer (var script &rest args)
  "Return the JSON plist describing a peer.
Read it from the environment variable VAR when set, else start
test/peers/SCRIPT with ARGS and read the line it prints.  Fail the
test when the script does not exist."
  ;; The environment Emacs started with: the sandbox scrubs QWEN_ names.
  (let ((json (let ((process-environment qwen-agent-tests--initial-env))
                (getenv var))))
    (if (and json (not (string-empty-p json)))
        (json-parse-string json :object-type 'plist)
      (let ((file (expand-file-name (concat "test/peers/" script)
                                    qwen-agent-tests--repo)))
        (unless (file-exists-p file)
          (error "%s does not exist" file))
        (let* ((default-directory qwen-agent-tests--repo)
               (buf (generate-new-buffer " *qwen-agent-tests peer*"))
               (proc (make-process :name script :buffer buf :noquery t
                                   :connection-type 'pipe
                                   :stderr (get-buffer-create
                                            (format " *%s stderr*" script))
                                   :command (append (list "node" "--import" "tsx" file)
                                                    args))))
          (push proc qwen-agent-tests--peers)
          (qwen-agent-tests--wait
           (lambda () (with-current-buffer buf
                        (or (not (process-live-p proc))
                            (string-search "\n" (buffer-string)))))
           60 (format "%s to print its address" script))
          (with-current-buffer buf
            (goto-char (point-min))
            (json-parse-string (buffer-substring (point) (line-end-position))
                               :object-type 'plist)))))))

(defun qwen-agent-tests--events (conn)
  "Return the text of CONN's events buffer."
  (with-current-buffer (jsonrpc-events-buffer conn) (buffer-string)))

;;;; Tests

(ert-deftest qwen-agent-tests-api-key-login ()
  "An API key goes to ~/.qwen/.env (mode 0600) and is never displayed or logged."
  (qwen-agent-tests--with-sandbox
    (let* ((key "sk-ert-secret-key-0123456789abcdef")
           (conn (qwen-agent-tests--ready))
           (changes nil)
           (qwen-agent-auth-changed-functions (list (lambda (p) (push p changes))))
           (prompts nil))
      (cl-letf (((symbol-function 'read-passwd)
                 (lambda (prompt &rest _) (push prompt prompts) (copy-sequence key))))
        (qwen-agent-login "api-key" :authType "openai" :envKey "OPENAI_API_KEY"))
      (should (string-match-p "OPENAI_API_KEY" (car prompts)))
      (let* ((env (expand-file-name ".qwen/.env" qwen-agent-tests--home))
             (text (qwen-agent-tests--read env)))
        (should text)
        (should (string-match-p (concat "^OPENAI_API_KEY=" (regexp-quote key) "$") text))
        (should (= (logand (file-modes env) #o777) #o600)))
      (qwen-agent-tests--wait
       (lambda () (cl-find "OPENAI_API_KEY" changes
                           :key (lambda (p) (plist-get p :envKey)) :test #'equal))
       10 "auth/didChange for OPENAI_API_KEY")
      ;; The events buffer logs (so the check below means something) ...
      (qwen-agent--request "auth/status" (make-hash-table))
      (let ((events (qwen-agent-tests--events conn)))
        (should (string-search "auth/status" events))
        (should (string-search "not logged" events))
        ;; ... but never the key, nor does any place a person can see.
        (should-not (string-search key events)))
      (should-not (string-search key (qwen-agent-tests--messages)))
      (should (string-search "sk-…cdef" (qwen-agent-tests--messages)))
      (should-not (cl-find-if (lambda (x) (string-search key (format "%S" x)))
                              (list minibuffer-history command-history
                                    read-expression-history)))
      (dolist (buf (buffer-list))
        (should-not (with-current-buffer buf
                      (save-restriction (widen)
                                        (string-search key (buffer-string)))))))))

(ert-deftest qwen-agent-tests-rejected-key-is-readable-and-secret ()
  "A key the server rejects gives a readable `user-error' without the key."
  (qwen-agent-tests--with-sandbox
    (let ((key "sk-not-a-plan-key-0123456789abcd")
          (conn (qwen-agent-tests--ready)))
      (cl-letf (((symbol-function 'read-passwd) (lambda (&rest _) (copy-sequence key))))
        (let ((err (should-error (qwen-agent-login "coding-plan" :region "global")
                                 :type 'user-error)))
          (should (string-prefix-p "qwen-agent: " (cadr err)))
          (should (string-match-p "sk-sp-" (cadr err)))
          ;; In words, not the protocol's: no method name, no "invalid params".
          (should-not (string-search "auth/login" (cadr err)))
          (should-not (string-search "invalid params" (cadr err)))
          (should-not (string-search key (cadr err)))))
      (should-not (string-search key (qwen-agent-tests--events conn)))
      (should-not (string-search key (qwen-agent-tests--messages)))
      (should-not (file-exists-p (expand-file-name ".qwen/.env" qwen-agent-tests--home))))))

(ert-deftest qwen-agent-tests-select-model-persists ()
  "A selection is saved, a second server sees it, and changes flow back."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--write
     (qwen-agent-tests--user-settings)
     "{ // a comment that must survive
  \"modelProviders\": { \"openai\": [
    { \"id\": \"ert-model\", \"name\": \"ERT Model\",
      \"baseUrl\": \"http://127.0.0.1:9/v1\", \"envKey\": \"ERT_KEY\" } ] } }\n")
    (let* ((seen nil)
           (qwen-agent-model-changed-functions (list (lambda (sel) (push sel seen))))
           (conn (qwen-agent-tests--ready))
           (asked nil))
      (cl-letf (((symbol-function 'completing-read)
                 (lambda (_prompt table &rest _)
                   (let* ((meta (cdr (funcall table "" nil 'metadata)))
                          (group (alist-get 'group-function meta))
                          (annot (alist-get 'annotation-function meta))
                          (cands (all-completions "" table)))
                     (setq asked (list :cands cands
                                       :group (funcall group "ert-model" nil)
                                       :oauth-group (funcall group "coder-model" nil)
                                       :annot (funcall annot "ert-model"))))
                   "ert-model")))
        (call-interactively #'qwen-agent-select-model))
      (should (member "coder-model" (plist-get asked :cands)))
      (should (member "ert-model" (plist-get asked :cands)))
      (should (equal (plist-get asked :oauth-group) "Qwen OAuth"))
      (should-not (equal (plist-get asked :group) "Qwen OAuth"))
      (should (string-match-p "unavailable" (plist-get asked :annot)))
      (should (string-match-p "settings (user: " (plist-get asked :annot)))
      (let ((text (qwen-agent-tests--read (qwen-agent-tests--user-settings))))
        (should (string-match-p "a comment that must survive" text))
        (should (string-match-p "\"ert-model\"" text)))
      (qwen-agent-tests--wait
       (lambda () (equal (plist-get (car seen) :id) "ert-model")) 10 "the hook")
      (should (string-match-p "ert-model, signed out" (qwen-agent-mode-line-string)))
      ;; A second server (another project, same HOME) sees the choice ...
      (with-temp-buffer
        (let ((qwen-agent-server-scope 'project)
              (other (expand-file-name "work/other" qwen-agent-tests--root)))
          (make-directory other t)
          (setq default-directory (file-name-as-directory other))
          (let ((list (qwen-agent--request "model/list" (make-hash-table))))
            (should (equal (plist-get (plist-get list :selected) :id) "ert-model")))
          (should-not (eq (qwen-agent--live) conn))
          ;; ... and its own choice reaches the first one.
          (qwen-agent-select-model (list :id "coder-model" :authType "qwen-oauth") "user")))
      (qwen-agent-tests--wait
       (lambda () (equal (plist-get (qwen-agent--selected conn) :id) "coder-model"))
       15 "model/didChange from the other server's choice")
      (should (equal (plist-get (car seen) :id) "coder-model"))
      (qwen-agent-tests--wait
       (lambda () (string-match-p "coder-model, signed out" (qwen-agent-mode-line-string)))
       10 "the mode line to follow"))))

(ert-deftest qwen-agent-tests-session-scope ()
  "With a prefix argument the scope is asked; `session' writes no file."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--ready)
    (let ((answers (list "coder-model" "session"))
          (current-prefix-arg '(4)))
      (cl-letf (((symbol-function 'completing-read)
                 (lambda (&rest _) (pop answers))))
        (call-interactively #'qwen-agent-select-model)))
    (should-not (file-exists-p (qwen-agent-tests--user-settings)))
    (should (string-search "for this session" (qwen-agent-tests--messages)))))

(ert-deftest qwen-agent-tests-errors-carry-hint ()
  "Server errors become a `user-error' with the message and the hint."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--ready)
    (let ((err (should-error (qwen-agent-select-model "no-such-model")
                             :type 'user-error)))
      (should (string-match-p "no model \"no-such-model\"" (cadr err)))
      (should (string-match-p "model/list shows the models" (cadr err))))))

(ert-deftest qwen-agent-tests-corrupt-settings ()
  "A corrupt settings file gives readable errors, not a Lisp error."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--write (qwen-agent-tests--user-settings)
                             "{ \"model\": { \"name\": ")
    (let ((qwen-agent-mode t))
      (qwen-agent-tests--ready)
      (let ((err (should-error (qwen-agent-select-model "coder-model")
                               :type 'user-error)))
        (should (string-match-p "settings.json" (cadr err)))
        (should (string-match-p "JSON error" (cadr err)))
        (should (string-match-p "fix it by hand" (cadr err))))
      ;; The same error through the command loop: a message, no backtrace.
      (let ((debug-on-error t)
            (shown nil))
        (cl-letf (((symbol-function 'completing-read) (lambda (&rest _) "coder-model")))
          (condition-case err
              (command-execute #'qwen-agent-select-model)
            (user-error (setq shown (cadr err)))))
        (should (string-match-p "JSON error" shown)))
      (qwen-agent-show-config)
      (with-current-buffer "*qwen-agent config*"
        (should (string-search "JSON error" (buffer-string)))
        (should (string-search "Problems" (buffer-string))))
      (qwen-agent-tests--wait
       (lambda () (string-suffix-p "!]" (substring-no-properties
                                         (qwen-agent-mode-line-string))))
       10 "the mode line to flag the settings error")
      (should (string-match-p "JSON error"
                              (get-text-property 1 'help-echo
                                                 (qwen-agent-mode-line-string))))
      ;; No tooltips in a terminal: the echo area said it, once, in words.
      (should (string-match-p "qwen-agent: .*settings\\.json.*JSON error.*(M-x qwen-agent-status \
lists every problem)" (qwen-agent-tests--messages))))))

(ert-deftest qwen-agent-tests-server-death ()
  "A server that dies is reported, and the next command starts a new one."
  (qwen-agent-tests--with-sandbox
    (let* ((conn (qwen-agent-tests--ready))
           (proc (qwen-agent--proc conn)))
      (should (qwen-agent--request "auth/status" (make-hash-table)))
      (signal-process proc 'kill)
      (qwen-agent-tests--wait (lambda () (not (qwen-agent--live))) 10 "the exit")
      (qwen-agent-tests--wait
       (lambda () (string-search "qwen-agent: The server exited (killed by signal 9)"
                                 (qwen-agent-tests--messages)))
       5 "the exit message")
      (should (string-match-p "Qwen\\[exited\\]" (qwen-agent-mode-line-string)))
      (let ((status (qwen-agent--request "auth/status" (make-hash-table))))
        (should (plist-get status :methods)))
      (let ((again (qwen-agent--live)))
        (should again)
        (should-not (eq again conn))
        (should (process-live-p (qwen-agent--proc again))))
      (should-not (string-match-p "exited" (qwen-agent-mode-line-string))))))

(ert-deftest qwen-agent-tests-server-fails-to-start ()
  "A server that cannot start gives a readable error naming its complaint."
  (qwen-agent-tests--with-sandbox
    (let ((qwen-agent-server-command
           (list "sh" "-c" "echo 'boom: cannot start' >&2; sleep 0.2; exit 3" "sh")))
      (let ((err (should-error (qwen-agent--request "auth/status" (make-hash-table))
                               :type 'user-error)))
        (should (string-match-p "qwen-agent: .*exited" (cadr err))))
      (qwen-agent-tests--wait
       (lambda () (string-match-p "The server exited (with status 3): boom: cannot start"
                                  (qwen-agent-tests--messages)))
       10 "the exit report")
      (should (string-match-p "Qwen\\[exited\\]" (qwen-agent-mode-line-string))))))

(ert-deftest qwen-agent-tests-server-never-answers ()
  "A server that never answers `initialize' is stopped with a readable error."
  (qwen-agent-tests--with-sandbox
    (let ((qwen-agent-server-command (list "sh" "-c" "exec sleep 60" "sh"))
          (qwen-agent-request-timeout 1))
      (let* ((err (should-error (qwen-agent--request "auth/status" (make-hash-table))
                                :type 'user-error))
             (conn (gethash 'global qwen-agent--connections)))
        (should (string-match-p "did not answer within 1 s of starting" (cadr err)))
        (qwen-agent-tests--wait (lambda () (not (qwen-agent--live))) 5 "the stop")
        (should-not (and conn (jsonrpc-running-p conn))))
      (should (string-match-p "Qwen\\[exited\\]" (qwen-agent-mode-line-string))))))

(ert-deftest qwen-agent-tests-pending-request-fails-on-death ()
  "A request waiting when the server dies fails with a readable error."
  (qwen-agent-tests--with-sandbox
    (let* ((conn (qwen-agent-tests--ready))
           (result nil))
      (qwen-agent--async "model/list" (list :refresh t)
                         :conn conn
                         :on-success (lambda (_) (setq result 'ok))
                         :on-error (lambda (e) (setq result e)))
      (delete-process (qwen-agent--proc conn))
      (qwen-agent-tests--wait (lambda () result) 10 "the request to end")
      (unless (eq result 'ok)
        (should (stringp (plist-get result :message)))))))

(ert-deftest qwen-agent-tests-restart-and-shutdown ()
  "Restart replaces the process; shutdown stops it without an exit report."
  (qwen-agent-tests--with-sandbox
    (let ((old (qwen-agent-tests--ready)))
      (qwen-agent-restart)
      (let ((new (qwen-agent-tests--ready)))
        (should-not (eq old new))
        (should-not (jsonrpc-running-p old))
        (qwen-agent-shutdown)
        (should-not (jsonrpc-running-p new))
        (should-not (qwen-agent--live))
        (should-not (string-search "The server exited" (qwen-agent-tests--messages)))
        (should (string-match-p "Qwen\\[off\\]" (qwen-agent-mode-line-string)))))))

(ert-deftest qwen-agent-tests-status-and-config-buffers ()
  "The status and configuration buffers show states and sources."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--write (expand-file-name ".qwen/.env" qwen-agent-tests--home)
                             "ANTHROPIC_API_KEY=sk-ant-ert-000000000000000000\n")
    (qwen-agent-tests--ready)
    (qwen-agent-status)
    (with-current-buffer "*qwen-agent status*"
      (should (derived-mode-p 'qwen-agent-info-mode))
      (should (string-search "Qwen OAuth" (buffer-string)))
      (should (string-match-p "Anthropic key (ANTHROPIC_API_KEY) +signed in" (buffer-string)))
      (should (string-search "sk-…0000" (buffer-string)))
      (should-not (string-search "sk-ant-ert-000000000000000000" (buffer-string))))
    (qwen-agent-show-config)
    (with-current-buffer "*qwen-agent config*"
      (should (derived-mode-p 'qwen-agent-info-mode))
      (should (string-search "Settings files" (buffer-string)))
      (should (string-search "ANTHROPIC_API_KEY = sk-…0000" (buffer-string)))
      (should (string-search "from dotenv" (buffer-string)))
      (should-not (string-search "sk-ant-ert-000000000000000000" (buffer-string)))
      (revert-buffer)
      (should (string-search "Settings files" (buffer-string))))))

(ert-deftest qwen-agent-tests-logout ()
  "Logout removes the key the server stored."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--ready)
    (cl-letf (((symbol-function 'read-passwd)
               (lambda (&rest _) (copy-sequence "sk-ert-logout-0123456789abcd"))))
      (qwen-agent-login "api-key" :authType "anthropic"))
    (let ((env (expand-file-name ".qwen/.env" qwen-agent-tests--home)))
      (should (string-search "ANTHROPIC_API_KEY=" (qwen-agent-tests--read env)))
      (cl-letf (((symbol-function 'completing-read)
                 (lambda (_prompt table &rest _)
                   ;; Short names, without spaces: the variable.
                   (car (all-completions "ANTHROPIC" table)))))
        (call-interactively #'qwen-agent-logout))
      (should-not (string-search "ANTHROPIC_API_KEY=" (or (qwen-agent-tests--read env) ""))))))

(ert-deftest qwen-agent-tests-trust-folder ()
  "Trusting the folder records it in the trusted-folders file."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--ready)
    (cl-letf (((symbol-function 'completing-read)
               (lambda (_prompt choices &rest _) (car (car choices)))))
      (call-interactively #'qwen-agent-trust-folder))
    (should (string-search "qwen-agent: The workspace is trusted"
                           (qwen-agent-tests--messages)))
    (should (string-search
             (directory-file-name qwen-agent-tests--project)
             (or (qwen-agent-tests--read
                  (expand-file-name ".qwen/trustedFolders.json" qwen-agent-tests--home))
                 "")))))

(ert-deftest qwen-agent-tests-test-model ()
  "Testing a model answers asynchronously in the echo area."
  (qwen-agent-tests--with-sandbox
    (let* ((default-key "sk-ert-peer-key-0123456789abcdef")
           (peer (qwen-agent-tests--peer "QWEN_AGENT_TEST_PROVIDER"
                                         "provider-server-cli.ts"
                                         "--key" default-key "--exit-on-stdin-end"))
           (key (or (plist-get peer :key) default-key)))
      (qwen-agent-tests--write
       (qwen-agent-tests--user-settings)
       (format "{\"modelProviders\": {\"openai\": [{\"id\": \"qwen3-coder-plus\",
 \"baseUrl\": %S, \"envKey\": \"ERT_PEER_KEY\",
 \"generationConfig\": {\"maxRetries\": 0}}]}}"
               (plist-get peer :url)))
      (qwen-agent-tests--ready)
      (cl-letf (((symbol-function 'read-passwd) (lambda (&rest _) (copy-sequence key))))
        (qwen-agent-login "api-key" :authType "openai" :envKey "ERT_PEER_KEY"))
      ;; What the sign-in did, from the server's answer: the provider's
      ;; verdict and the keys written.
      (should (string-search "the provider accepted the key" (qwen-agent-tests--messages)))
      (should (string-match-p "wrote ERT_PEER_KEY in .*\\.env" (qwen-agent-tests--messages)))
      (qwen-agent-test-model (list :id "qwen3-coder-plus" :authType "openai"))
      ;; The command returned at once; the answer arrives later.
      (should (string-search "Testing qwen3-coder-plus" (qwen-agent-tests--messages)))
      (qwen-agent-tests--wait
       (lambda () (string-match-p "qwen-agent: qwen3-coder-plus works ([0-9]+ ms)"
                                  (qwen-agent-tests--messages)))
       60 "the model test")
      (should-not (string-search key (qwen-agent-tests--messages))))))

(defun qwen-agent-tests--oauth-env (oidc)
  "Return server environment entries pointing Qwen OAuth at OIDC."
  (append
   (list (concat "QWEN_OAUTH_DEVICE_AUTHORIZATION_URL="
                 (plist-get oidc :deviceAuthorizationUrl))
         (concat "QWEN_OAUTH_TOKEN_URL=" (plist-get oidc :tokenUrl))
         (concat "QWEN_OAUTH_CLIENT_ID=" (plist-get oidc :clientId)))
   (cl-remove-if (lambda (e) (string-prefix-p "QWEN_OAUTH_" e))
                 qwen-agent-server-environment)))

(defun qwen-agent-tests--approve (oidc code)
  "Approve the pending login with user CODE at the OIDC peer."
  (let* ((url (plist-get oidc :approveUrl))
         (url-request-method "GET")
         (url-proxy-services nil)
         (buf (url-retrieve-synchronously
               (concat url (if (string-search "?" url) "&" "?")
                       "user_code=" (url-hexify-string code))
               t t 10)))
    (should buf)
    (with-current-buffer buf
      (goto-char (point-min))
      (should (looking-at "HTTP/1\\.[01] 2")))
    (kill-buffer buf)))

(defun qwen-agent-tests--login-text ()
  "Return the text of the sign-in buffer."
  (if-let ((buf (get-buffer qwen-agent--login-buffer)))
      (with-current-buffer buf (buffer-string))
    ""))

(ert-deftest qwen-agent-tests-oauth-login ()
  "A Qwen OAuth sign-in against the loopback server completes.
The code is shown and copied, the browser is opened when the server
asks, and the mode line follows."
  (qwen-agent-tests--with-sandbox
    (let* ((oidc (qwen-agent-tests--peer "QWEN_AGENT_TEST_OIDC" "oidc-server-cli.ts"))
           (qwen-agent-server-environment (qwen-agent-tests--oauth-env oidc))
           (qwen-agent-open-browser 'always)
           (opened nil)
           (browse-url-browser-function (lambda (url &rest _) (push url opened)))
           (browse-url-handlers nil)
           (changes nil)
           (qwen-agent-auth-changed-functions (list (lambda (p) (push p changes))))
           (qwen-agent-mode t))
      ;; Qwen Code 0.24 uses a Qwen OAuth credential only with useExternal.
      (qwen-agent-tests--write (qwen-agent-tests--user-settings)
                               "{\"security\": {\"auth\": {\"useExternal\": true}}}\n")
      (qwen-agent-tests--ready)
      (qwen-agent-select-model (list :id "coder-model" :authType "qwen-oauth"))
      (qwen-agent-tests--wait
       (lambda () (string-match-p "coder-model, signed out" (qwen-agent-mode-line-string)))
       10 "the signed-out mode line")
      (qwen-agent-login "qwen-oauth")
      (qwen-agent-tests--wait
       (lambda () (string-search "Code:" (qwen-agent-tests--login-text)))
       15 "the sign-in buffer")
      (let* ((login (qwen-agent--login (qwen-agent--live)))
             (code (plist-get login :userCode)))
        (should (stringp code))
        (should (string-search code (qwen-agent-tests--login-text)))
        (should (string-search (plist-get login :uri) (qwen-agent-tests--login-text)))
        (should (equal (current-kill 0 t) code))
        ;; The server's notice for Qwen OAuth, from its menu.
        (should (string-search "free tier ended" (qwen-agent-tests--login-text)))
        (should (string-match-p "signing in" (qwen-agent-mode-line-string)))
        (qwen-agent-tests--wait (lambda () opened) 10 "window/showDocument")
        (should (equal (car opened) (plist-get login :uri)))
        (qwen-agent-tests--approve oidc code)
        (qwen-agent-tests--wait
         (lambda () (string-search "Signed in to Qwen OAuth" (qwen-agent-tests--login-text)))
         30 "the end of the sign-in")
        (should (cl-find-if (lambda (p) (and (equal (plist-get p :loginId)
                                                    (plist-get login :loginId))
                                             (equal (plist-get p :state) "signedIn")))
                            changes)))
      (qwen-agent-tests--wait
       (lambda () (equal (substring-no-properties (qwen-agent-mode-line-string))
                         " Qwen[coder-model]"))
       15 "the signed-in mode line")
      (should (string-search "qwen-agent: Signed in to Qwen OAuth"
                             (qwen-agent-tests--messages))))))

(ert-deftest qwen-agent-tests-oauth-cancel ()
  "Without a browser the link is only shown; q cancels the sign-in."
  (qwen-agent-tests--with-sandbox
    (let* ((oidc (qwen-agent-tests--peer "QWEN_AGENT_TEST_OIDC" "oidc-server-cli.ts"))
           (qwen-agent-server-environment (qwen-agent-tests--oauth-env oidc))
           (qwen-agent-open-browser nil)
           (opened nil)
           (browse-url-browser-function (lambda (url &rest _) (push url opened)))
           (browse-url-handlers nil))
      (qwen-agent-tests--ready)
      (qwen-agent-login "qwen-oauth")
      (qwen-agent-tests--wait
       (lambda () (string-search "Code:" (qwen-agent-tests--login-text)))
       15 "the sign-in buffer")
      (should (string-search "Open the link in a browser" (qwen-agent-tests--login-text)))
      (with-current-buffer qwen-agent--login-buffer
        (should (eq (key-binding "q") #'qwen-agent-login-cancel))
        (should (eq (key-binding (kbd "C-g")) #'qwen-agent-login-cancel))
        (qwen-agent-login-cancel))
      (qwen-agent-tests--wait
       (lambda () (string-search "Sign-in cancelled." (qwen-agent-tests--login-text)))
       15 "the cancellation")
      (should-not (string-search "failed" (qwen-agent-tests--login-text)))
      (should-not opened)
      (should-not (qwen-agent--login (qwen-agent--live))))))

(ert-deftest qwen-agent-tests-oauth-ui ()
  "The sign-in UI follows the protocol, against a stand-in server.
The real server's flow is `qwen-agent-tests-oauth-login'; this one
runs where that cannot, and checks the same client behaviour:
code and link shown and copied, the browser opened only when
allowed, the end of the sign-in replacing the buffer, cancellation,
and the mode line."
  (qwen-agent-tests--with-sandbox
    (let* ((qwen-agent-server-command
            (list "node" (expand-file-name "clients/emacs/test/fake-oauth-server.mjs"
                                           qwen-agent-tests--repo)))
           (qwen-agent-open-browser 'always)
           (opened nil)
           (browse-url-browser-function (lambda (url &rest _) (push url opened)))
           (browse-url-handlers nil)
           (changes nil)
           (qwen-agent-auth-changed-functions (list (lambda (p) (push p changes))))
           (conn (qwen-agent-tests--ready)))
      (qwen-agent-tests--wait
       (lambda () (string-match-p "coder-model, signed out" (qwen-agent-mode-line-string)))
       10 "the signed-out mode line")
      ;; First sign-in: cancelled with q.
      (qwen-agent-login "qwen-oauth")
      (qwen-agent-tests--wait
       (lambda () (string-search "FAKE-001" (qwen-agent-tests--login-text))) 10 "code 1")
      (qwen-agent-tests--wait (lambda () opened) 10 "window/showDocument")
      (should (equal (car opened) "http://127.0.0.1:9/device?user_code=FAKE-001"))
      (should (string-search "opened in your browser" (qwen-agent-tests--login-text)))
      (should (equal (current-kill 0 t) "FAKE-001"))
      (should (string-match-p "signing in" (qwen-agent-mode-line-string)))
      (with-current-buffer qwen-agent--login-buffer
        (execute-kbd-macro "q"))
      (qwen-agent-tests--wait
       (lambda () (string-search "Sign-in cancelled." (qwen-agent-tests--login-text)))
       10 "the cancellation")
      (should (string-search "qwen-agent: Qwen OAuth sign-in cancelled"
                             (qwen-agent-tests--messages)))
      (should-not (string-search "sign-in failed" (qwen-agent-tests--messages)))
      ;; Second sign-in, no browser: the link is only shown; then approved.
      (setq opened nil)
      (let ((qwen-agent-open-browser nil))
        (qwen-agent-login "qwen-oauth")
        (qwen-agent-tests--wait
         (lambda () (string-search "FAKE-002" (qwen-agent-tests--login-text))) 10 "code 2"))
      (should (string-search "Open the link in a browser" (qwen-agent-tests--login-text)))
      (should (string-search "http://127.0.0.1:9/device?user_code=FAKE-002"
                             (qwen-agent-tests--login-text)))
      (jsonrpc-notify conn :test/approve (make-hash-table))
      (qwen-agent-tests--wait
       (lambda () (string-search "Signed in to Qwen OAuth" (qwen-agent-tests--login-text)))
       10 "the end of the sign-in")
      (should-not opened)
      (should (equal (mapcar (lambda (p) (plist-get p :state)) changes)
                     '("signedIn" "error")))
      (qwen-agent-tests--wait
       (lambda () (equal (substring-no-properties (qwen-agent-mode-line-string))
                         " Qwen[coder-model]"))
       10 "the signed-in mode line")
      ;; Killing a pending sign-in's buffer cancels it.
      (qwen-agent-login "qwen-oauth")
      (qwen-agent-tests--wait
       (lambda () (string-search "FAKE-003" (qwen-agent-tests--login-text))) 10 "code 3")
      (kill-buffer qwen-agent--login-buffer)
      (qwen-agent-tests--wait (lambda () (= (length changes) 3)) 10 "the cancellation")
      (should (equal (plist-get (car changes) :reason) "cancelled")))))

(ert-deftest qwen-agent-tests-server-command-default ()
  "Without a command, the server is found on `exec-path' or beside the package."
  (let ((qwen-agent-server-command nil)
        (qwen-agent-server-args '("--log-file" "/tmp/x.log")))
    (cl-letf (((symbol-function 'executable-find)
               (lambda (name &rest _) (and (equal name "qwen-agent-server")
                                           "/usr/bin/qwen-agent-server"))))
      (should (equal (qwen-agent--command)
                     '("qwen-agent-server" "--stdio" "--log-file" "/tmp/x.log"))))
    (cl-letf (((symbol-function 'executable-find)
               (lambda (name &rest _) (and (equal name "node") "/usr/bin/node"))))
      (let ((cmd (qwen-agent--command)))
        (should (equal (car cmd) "node"))
        (should (equal (file-truename (cadr cmd))
                       (file-truename (expand-file-name "dist/server.js"
                                                        qwen-agent-tests--repo))))
        (should (equal (nthcdr 2 cmd) '("--stdio" "--log-file" "/tmp/x.log")))))))

;;;; Issue 14: what a first-time user hit

(defun qwen-agent-tests--use-fixture (json)
  "Serve the current sandbox from the fixture server answering JSON.
Return the file where it logs the requests it got."
  (let ((file (expand-file-name "fixture.json" qwen-agent-tests--root))
        (log (expand-file-name "fixture-requests.jsonl" qwen-agent-tests--root)))
    (qwen-agent-tests--write file json)
    (setq qwen-agent-server-command
          (list "node" (expand-file-name "clients/emacs/test/fixture-server.mjs"
                                         qwen-agent-tests--repo)))
    (setq qwen-agent-server-environment
          (append (list (concat "QWEN_AGENT_FIXTURE=" file)
                        (concat "QWEN_AGENT_FIXTURE_LOG=" log))
                  qwen-agent-server-environment))
    log))

(defun qwen-agent-tests--requests (log method)
  "Return the params of every METHOD request in the fixture's LOG."
  (when (file-exists-p log)
    (with-temp-buffer
      (insert-file-contents log)
      (cl-loop for line in (split-string (buffer-string) "\n" t)
               for msg = (json-parse-string line :object-type 'plist
                                            :false-object :json-false)
               when (equal (plist-get msg :method) method)
               collect (plist-get msg :params)))))

(defconst qwen-agent-tests--fixture-key "ert-fixture-key-0123456789"
  "The key the fixture server expects.")

(defconst qwen-agent-tests--fixture
  "{\"expectKey\": \"ert-fixture-key-0123456789\",
 \"menu\": [
  {\"id\": \"qwen-oauth\", \"label\": \"Qwen OAuth\", \"authType\": \"qwen-oauth\",
   \"notice\": \"The free tier ended on 2026-04-15.\", \"fields\": []},
  {\"id\": \"ert-plan\", \"label\": \"ERT Fixture Plan\", \"group\": \"Fixture presets\",
   \"description\": \"a preset only this test knows\", \"authType\": \"openai\",
   \"envKey\": \"ERT_PLAN_API_KEY\", \"notice\": \"Billed per token.\",
   \"fields\": [
    {\"name\": \"region\", \"label\": \"Region\", \"default\": \"south\",
     \"choices\": [{\"value\": \"north\", \"label\": \"North Pole\", \"detail\": \"north.ert.example\"},
                   {\"value\": \"south\", \"label\": \"South Pole\", \"detail\": \"south.ert.example\"}]},
    {\"name\": \"apiKey\", \"label\": \"ERT key\", \"secret\": true, \"rule\": \"starts with ert-\"}]},
  {\"id\": \"api-key\", \"label\": \"Another API key\", \"authType\": \"openai\",
   \"fields\": [
    {\"name\": \"authType\", \"label\": \"Auth type\",
     \"choices\": [{\"value\": \"openai\", \"label\": \"OpenAI-compatible\"},
                   {\"value\": \"anthropic\", \"label\": \"Anthropic\"}]},
    {\"name\": \"envKey\", \"label\": \"Variable\", \"optional\": true, \"placeholder\": \"OPENAI_API_KEY\"},
    {\"name\": \"apiKey\", \"label\": \"API key\", \"secret\": true}]}],
 \"status\": {\"active\": \"openai\", \"activeSource\": null, \"methods\": [
  {\"id\": \"ert-plan\", \"label\": \"ERT Fixture Plan\", \"login\": \"ert-plan\", \"authType\": \"openai\",
   \"state\": \"signedIn\", \"envKey\": \"ERT_PLAN_API_KEY\", \"region\": \"south\", \"verified\": false,
   \"credential\": {\"redacted\": \"ert…beef\", \"source\": {\"layer\": \"dotenv\", \"scope\": \"home\"}}},
  {\"id\": \"api-key:anthropic:ANTHROPIC_API_KEY\", \"label\": \"Anthropic key (ANTHROPIC_API_KEY)\",
   \"login\": \"api-key\", \"authType\": \"anthropic\", \"state\": \"signedIn\",
   \"envKey\": \"ANTHROPIC_API_KEY\", \"verified\": true, \"expiresAt\": \"2099-01-01T12:00:00Z\"}]},
 \"login\": {
  \"ert-plan\": {\"state\": \"signedIn\", \"envKey\": \"ERT_PLAN_API_KEY\", \"storedIn\": \"/ert/home/.qwen/.env\",
   \"credential\": {\"redacted\": \"ert…6789\", \"source\": {\"layer\": \"dotenv\", \"scope\": \"home\"}},
   \"verified\": true,
   \"selected\": {\"authType\": \"openai\", \"id\": \"ert-model-1\", \"source\": {\"layer\": \"settings\", \"scope\": \"user\"}},
   \"changed\": [{\"path\": \"/ert/home/.qwen/settings.json\",
                  \"keys\": [\"modelProviders.openai\", \"security.auth.selectedType\", \"model.name\"]}]},
  \"api-key\": {\"error\": {\"code\": -32602,
   \"message\": \"invalid params for auth/login: apiKey: the key has white space or control characters in it\",
   \"data\": {\"issues\": [{\"path\": [\"apiKey\"], \"code\": \"custom\",
                            \"message\": \"the key has white space or control characters in it\"}]}}}},
 \"diagnostics\": [{\"uri\": \"file:///ert/home/.qwen/settings.json\", \"diagnostics\": [
  {\"range\": {\"start\": {\"line\": 2, \"character\": 4}, \"end\": {\"line\": 2, \"character\": 5}},
   \"severity\": 1, \"message\": \"trailing comma: Qwen Code refuses this file\"}]}],
 \"config\": {\"cwd\": \"/ert/project\", \"layers\": [], \"dotenvFiles\": [], \"settings\": {}, \"env\": {},
  \"diagnostics\": [{\"path\": \"/ert/project/.qwen/settings.json\", \"severity\": \"error\",
                     \"message\": \"modelProviders.openai[0].envKey: not an environment variable name\"}]}}"
  "A fixture for the stand-in server: a preset with a notice and a group title.")

(defun qwen-agent-tests--completion (table)
  "Return what a completion UI would show of TABLE.
A plist: :cands, the candidates, and :annot and :group, alists
from each candidate to its annotation and group title."
  (let* ((meta (cdr (funcall table "" nil 'metadata)))
         (annot (alist-get 'annotation-function meta))
         (group (alist-get 'group-function meta))
         (cands (all-completions "" table)))
    (list :cands cands
          :annot (mapcar (lambda (c) (cons c (and annot (funcall annot c)))) cands)
          :group (mapcar (lambda (c) (cons c (and group (funcall group c nil)))) cands))))

;; Answers every prompt of `qwen-agent-login' the way a person would.
(defun qwen-agent-tests--login-interactively (choose key)
  "Run \[qwen-agent-login] with its prompts answered; return what it asked.
CHOOSE, called with the completion reads so far (the latest first,
each as below), returns the answer to each `completing-read'; a text
prompt takes its default and the models prompt is left empty (the
preset's own); KEY is typed at the key prompt, or, when nil, the
sign-in is quit there, before anything is sent.  Return a plist:
:reads, each (PROMPT . SHOWN) in order, SHOWN as
`qwen-agent-tests--completion' returns it; :prompts, the key
prompts; :models, the models offered."
  (let (reads prompts models)
    (cl-letf (((symbol-function 'completing-read)
               (lambda (prompt table &rest _)
                 (push (cons prompt (qwen-agent-tests--completion table)) reads)
                 (funcall choose reads)))
              ((symbol-function 'read-string)
               (lambda (_prompt &optional _initial _history default &rest _)
                 (or default "")))
              ((symbol-function 'completing-read-multiple)
               (lambda (_prompt table &rest _)
                 (setq models (all-completions "" table))
                 nil))
              ((symbol-function 'read-passwd)
               (lambda (prompt &rest _)
                 (push prompt prompts)
                 (if key (copy-sequence key) (signal 'quit nil)))))
      (condition-case nil (call-interactively #'qwen-agent-login) (quit nil)))
    (list :reads (nreverse reads) :prompts (nreverse prompts) :models models)))

(ert-deftest qwen-agent-tests-login-menu-notices-and-groups ()
  "The sign-in menu shows the server's notices, group titles and sign-in states.
What no preset of the real server has (a notice on a preset, a
group title of its own) comes from the stand-in; a preset added to
the real server's table is tested in
`qwen-agent-tests-login-fixture-preset-real-server'."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--use-fixture qwen-agent-tests--fixture)
    (qwen-agent-tests--ready)
    ;; The menu is all this test reads: nothing is sent.
    (let ((reads (plist-get (qwen-agent-tests--login-interactively
                             (lambda (_) (signal 'quit nil)) nil)
                            :reads)))
      (let* ((menu (cdr (car reads)))
             (annot (plist-get menu :annot)))
        (should (= (length reads) 1))
        (should (equal (plist-get menu :cands) '("qwen-oauth" "ert-plan" "api-key")))
        (should (string-search "Billed per token." (cdr (assoc "ert-plan" annot))))
        (should (string-search "signed in ert…beef" (cdr (assoc "ert-plan" annot))))
        (should (string-search "free tier ended" (cdr (assoc "qwen-oauth" annot))))
        (should (equal (cdr (assoc "ert-plan" (plist-get menu :group))) "Fixture presets"))
        ;; An entry without a group is one of its own: the server's order holds.
        (should (equal (cdr (assoc "qwen-oauth" (plist-get menu :group))) "Qwen OAuth"))
        (should (equal (cdr (assoc "api-key" (plist-get menu :group))) "Another API key"))))))

(ert-deftest qwen-agent-tests-login-fields-from-lisp ()
  "From Lisp, given fields are sent as they are and defaults are the server's.
The server's complaint about a field names it as the menu does,
without the protocol's words."
  (qwen-agent-tests--with-sandbox
    (let ((log (qwen-agent-tests--use-fixture qwen-agent-tests--fixture)))
      (qwen-agent-tests--ready)
      (cl-letf (((symbol-function 'completing-read)
                 (lambda (&rest _) (ert-fail "nothing should be asked but the key")))
                ((symbol-function 'read-string)
                 (lambda (&rest _) (ert-fail "nothing should be asked but the key")))
                ((symbol-function 'read-passwd)
                 (lambda (&rest _) (copy-sequence qwen-agent-tests--fixture-key))))
        ;; A field with a default is left to the server.
        (qwen-agent-login "ert-plan")
        (let ((err (should-error (qwen-agent-login "api-key" :authType "anthropic")
                                 :type 'user-error)))
          (should (equal (cadr err) "qwen-agent: API key: the key has white space \
or control characters in it")))
        (should-error (qwen-agent-login "no-such-method") :type 'user-error))
      (let ((logins (qwen-agent-tests--requests log "auth/login")))
        (should (equal (length logins) 2))
        (should-not (plist-member (nth 0 logins) :region))
        (should (equal (plist-get (nth 1 logins) :authType) "anthropic"))
        (should-not (plist-member (nth 1 logins) :envKey))))))

(ert-deftest qwen-agent-tests-login-menu-real-server ()
  "The real server's menu: every entry of `auth/methods', by id, in its order."
  (qwen-agent-tests--with-sandbox
    (let ((conn (qwen-agent-tests--ready)))
      (unless (qwen-agent--supports-p conn "auth/methods")
        (ert-skip "the server under test does not answer auth/methods yet"))
      (let* ((menu (append (plist-get (qwen-agent--request "auth/methods" (make-hash-table))
                                      :methods)
                           nil))
             (ids (mapcar (lambda (o) (plist-get o :id)) menu))
             (plan (cl-find "coding-plan" menu :key (lambda (o) (plist-get o :id))
                            :test #'equal))
             (region (cl-find "region" (append (plist-get plan :fields) nil)
                              :key (lambda (f) (plist-get f :name)) :test #'equal)))
        (should (equal (car ids) "qwen-oauth"))
        (should (equal (car (last ids)) "api-key"))
        (should plan)
        (let* ((asked (qwen-agent-tests--login-interactively
                       (lambda (reads)
                         (if (= (length reads) 1) "coding-plan"
                           (car (last (plist-get (cdar reads) :cands)))))
                       ;; Stop before anything is sent: no key leaves 127.0.0.1.
                       nil))
               (reads (plist-get asked :reads))
               (prompts (plist-get asked :prompts))
               (models-offered (plist-get asked :models)))
          (let ((shown (cdr (car reads))))
            (should (equal (plist-get shown :cands) ids))
            (dolist (o menu)
              (should-not (string-search " " (plist-get o :id)))
              (should (string-search (plist-get o :label)
                                     (cdr (assoc (plist-get o :id) (plist-get shown :annot)))))))
          (when region
            (should (equal (plist-get (cdr (nth 1 reads)) :cands)
                           (mapcar (lambda (c) (plist-get c :value))
                                   (append (plist-get region :choices) nil)))))
          ;; The preset's models are offered by their ids.
          (when-let ((models (cl-find "models" (append (plist-get plan :fields) nil)
                                      :key (lambda (f) (plist-get f :name)) :test #'equal)))
            (when (vectorp (plist-get models :default))
              (should (equal models-offered (append (plist-get models :default) nil)))))
          (should (= (length prompts) 1))
          (when-let ((rule (cl-some (lambda (f) (plist-get f :rule))
                                    (append (plist-get plan :fields) nil))))
            (should (string-search rule (car prompts)))))))))

;;;; A preset only the server's fixture build has

(defun qwen-agent-tests--fixture-preset ()
  "Return the plist QWEN_AGENT_TEST_FIXTURE describes, or fail.
test/clients/emacs.test.ts builds the server with a preset no
client knows (test/support/fixture-preset.ts) and names it there:
:server, :id, :label, :description, :envKey and :key."
  (let ((json (let ((process-environment qwen-agent-tests--initial-env))
                (getenv "QWEN_AGENT_TEST_FIXTURE"))))
    (if (and json (not (string-empty-p json)))
        (json-parse-string json :object-type 'plist)
      (ert-fail "QWEN_AGENT_TEST_FIXTURE is not set: run the suite through \
test/clients/emacs.test.ts, which builds the fixture server"))))

(ert-deftest qwen-agent-tests-login-fixture-preset-real-server ()
  "A preset added to the server's table is in the menu and signs in, with no client change.
Issue 14, items 6 and 9: candidates are short ids (SPC completes
them whole) annotated with labels; the region is offered with its
labels and endpoints; the rule is in the key prompt; the result
says that the provider accepted the key, what it selected and wrote."
  (let* ((fx (qwen-agent-tests--fixture-preset))
         (id (plist-get fx :id))
         (key (plist-get fx :key))
         (env-key (plist-get fx :envKey)))
    (qwen-agent-tests--with-sandbox
      (setq qwen-agent-server-command (list "node" (plist-get fx :server)))
      (let ((reads nil) (prompts nil) (models-offered nil)
            (answers (list id "south")))
        (qwen-agent-tests--ready)
        (cl-letf (((symbol-function 'completing-read)
                   (lambda (prompt table &rest _)
                     (push (cons prompt (qwen-agent-tests--completion table)) reads)
                     (pop answers)))
                  ((symbol-function 'completing-read-multiple)
                   (lambda (_prompt table &rest _)
                     (setq models-offered (all-completions "" table))
                     nil))
                  ((symbol-function 'read-passwd)
                   (lambda (prompt &rest _)
                     (push prompt prompts)
                     (copy-sequence key))))
          (call-interactively #'qwen-agent-login))
        (setq reads (nreverse reads))
        (let* ((menu (cdr (nth 0 reads)))
               (region (cdr (nth 1 reads)))
               (annot (cdr (assoc id (plist-get menu :annot)))))
          (should (string-prefix-p "Sign in with" (car (nth 0 reads))))
          (should (member id (plist-get menu :cands)))
          (dolist (c (plist-get menu :cands)) (should-not (string-search " " c)))
          (should (string-search (plist-get fx :label) annot))
          (should (string-search (plist-get fx :description) annot))
          ;; The region field: the preset's regions, labelled, with their endpoints.
          (should (string-match-p "\\`Region (default north)" (car (nth 1 reads))))
          (should (equal (plist-get region :cands) '("north" "south")))
          (should (string-match-p "Acme South · 127\\.0\\.0\\.1:[0-9]+/south/v1"
                                  (cdr (assoc "south" (plist-get region :annot))))))
        (should (equal models-offered '("acme-large" "acme-small")))
        (should (equal prompts (list (format "API key for %s (starts with acme-): " env-key))))
        (let ((msgs (qwen-agent-tests--messages)))
          (should (string-search (format "Signed in with %s: %s stored in" (plist-get fx :label) env-key)
                                 msgs))
          (should (string-search "the provider accepted the key" msgs))
          (should (string-search "model acme-large (openai) selected" msgs))
          (should (string-match-p (concat "wrote modelProviders\\.openai, .*providerMetadata\\."
                                          (regexp-quote id) "\\.version.* in .*/\\.qwen/settings\\.json")
                                  msgs))
          (should-not (string-search key msgs)))
        (should (string-search (concat env-key "=" key)
                               (qwen-agent-tests--read (expand-file-name ".qwen/.env" qwen-agent-tests--home))))
        (should (string-search "/south/v1" (qwen-agent-tests--read (qwen-agent-tests--user-settings))))
        (should-not (string-search key (format "%S" command-history)))
        ;; Nothing of it came from the client.
        (let ((source (qwen-agent-tests--read (expand-file-name "clients/emacs/qwen-agent.el"
                                                                qwen-agent-tests--repo))))
          (dolist (word (list id (plist-get fx :label) env-key))
            (should-not (string-search word source))))))))

(ert-deftest qwen-agent-tests-status-lists-every-problem ()
  "The status buffer names every settings error and every key that failed its check.
Issue 14, items 4, 5 and 9: it is selected (q closes it), a new
settings error is said in the echo area, and the region, the
expiry and the provider's verdict are shown."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--use-fixture qwen-agent-tests--fixture)
    (let ((conn (qwen-agent-tests--ready)))
      (qwen-agent-tests--wait (lambda () (qwen-agent--diagnostics conn)) 10 "the diagnostics")
      (should (string-search "qwen-agent: /ert/home/.qwen/settings.json:3: trailing comma: \
Qwen Code refuses this file (M-x qwen-agent-status lists every problem)"
                             (qwen-agent-tests--messages)))
      (qwen-agent-status)
      (should (equal (buffer-name (window-buffer (selected-window))) "*qwen-agent status*"))
      (with-current-buffer "*qwen-agent status*"
        (let ((text (buffer-string)))
          (should (string-search "/ert/home/.qwen/settings.json:3 error: trailing comma" text))
          (should (string-search "/ert/project/.qwen/settings.json error: \
modelProviders.openai[0].envKey: not an environment variable name" text))
          (should (string-search "ERT_PLAN_API_KEY (ERT Fixture Plan): the provider \
rejected this key" text))
          (should (string-search "region: south" text))
          (should (string-search "failed its check with the provider" text))
          (should (string-search "accepted by the provider" text))
          (should (string-match-p "expires 2099-01-01 [0-9][0-9]:[0-9][0-9] (in [0-9]+ days)"
                                  text)))
        (should (eq (key-binding "q") #'quit-window)))
      (should (string-search "3 problems listed" (qwen-agent-tests--messages)))
      (qwen-agent-show-config)
      (should (equal (buffer-name (window-buffer (selected-window))) "*qwen-agent config*")))))

(ert-deftest qwen-agent-tests-settings-error-named-in-status-real-server ()
  "With the real server, a broken settings file is named in the status buffer."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--write (qwen-agent-tests--user-settings) "{ \"model\": { \"name\": ")
    (qwen-agent-tests--ready)
    (qwen-agent-status)
    (with-current-buffer "*qwen-agent status*"
      (should (string-match-p "settings\\.json\\(:[0-9]+\\)? error: .*JSON error"
                              (buffer-string))))))

(ert-deftest qwen-agent-tests-oauth-code-reaches-terminal-clipboard ()
  "In a terminal the OAuth code also goes out as OSC 52 (issue 14, item 2)."
  (qwen-agent-tests--with-sandbox
    (let* ((qwen-agent-server-command
            (list "node" (expand-file-name "clients/emacs/test/fake-oauth-server.mjs"
                                           qwen-agent-tests--repo)))
           (qwen-agent-clipboard t)
           (sent nil))
      (qwen-agent-tests--ready)
      (cl-letf (((symbol-function 'send-string-to-terminal)
                 (lambda (s &rest _) (push s sent))))
        (qwen-agent-login "qwen-oauth")
        (qwen-agent-tests--wait
         (lambda () (string-search "FAKE-001" (qwen-agent-tests--login-text))) 10 "the code")
        (should (equal sent (list (format "\e]52;c;%s\a" (base64-encode-string "FAKE-001")))))
        (should (string-search "terminal's clipboard" (qwen-agent-tests--login-text)))
        (should (string-match-p "(in [0-9]+ min)" (qwen-agent-tests--login-text)))
        ;; Inside tmux the sequence is passed through to the outer terminal.
        (setq sent nil)
        (with-current-buffer qwen-agent--login-buffer
          (let ((process-environment (cons "TMUX=/tmp/tmux-1/default,1,0"
                                           process-environment)))
            (qwen-agent-login-copy-code)))
        (should (equal sent (list (format "\ePtmux;\e\e]52;c;%s\a\e\\"
                                          (base64-encode-string "FAKE-001")))))
        ;; Never in a graphical frame's place when asked not to.
        (setq sent nil)
        (let ((qwen-agent-clipboard nil))
          (with-current-buffer qwen-agent--login-buffer (qwen-agent-login-copy-code)))
        (should-not sent)
        (should (equal (current-kill 0 t) "FAKE-001"))))))

(ert-deftest qwen-agent-tests-test-model-survives-mx-hint ()
  "The result of M-x qwen-agent-test-model stays in the echo area (item 1).
Emacs's hint \"You can run the command ... with ...\" puts back the
message it covered when it ends; the result must not be lost to
the \"Testing…\" it covered."
  (qwen-agent-tests--with-sandbox
    (let* ((default-key "sk-ert-peer-key-0123456789abcdef")
           (peer (qwen-agent-tests--peer "QWEN_AGENT_TEST_PROVIDER"
                                         "provider-server-cli.ts"
                                         "--key" default-key "--exit-on-stdin-end"))
           (key (or (plist-get peer :key) default-key))
           (slow (or (plist-get peer :slowModel)
                     (ert-skip "needs the slow model of test/clients/emacs.test.ts")))
           (echo nil)
           (real-message (symbol-function 'message))
           (map (make-sparse-keymap))
           (old-map (current-global-map)))
      (qwen-agent-tests--write
       (qwen-agent-tests--user-settings)
       (format "{\"modelProviders\": {\"openai\": [{\"id\": %S, \"baseUrl\": %S,
 \"envKey\": \"ERT_PEER_KEY\", \"generationConfig\": {\"maxRetries\": 0}}]}}"
               slow (plist-get peer :url)))
      (qwen-agent-tests--ready)
      (cl-letf (((symbol-function 'read-passwd) (lambda (&rest _) (copy-sequence key))))
        (qwen-agent-login "api-key" :authType "openai" :envKey "ERT_PEER_KEY"))
      (set-keymap-parent map old-map)
      (define-key map (kbd "C-c x") #'qwen-agent-test-model)
      (use-global-map map)
      (unwind-protect
          ;; The echo area, as batch mode has none: what `message' showed
          ;; last.  HINT is what it showed when the hint came, RESTORED
          ;; non-nil once the hint put that back.
          (let ((hint nil) (restored nil))
            (cl-letf (((symbol-function 'message)
                       (lambda (fmt &rest args)
                         (let ((text (and fmt (apply #'format-message fmt args))))
                           (cond ((and text (string-prefix-p "You can run the command" text))
                                  (setq hint (list echo)))
                                 ((and hint (not restored) (equal text (car hint))
                                       (not (string-search "works" (or text ""))))
                                  (setq restored t)))
                           (setq echo text))
                         (apply real-message fmt args)))
                      ((symbol-function 'current-message) (lambda () echo))
                      ((symbol-function 'completing-read) (lambda (&rest _) slow)))
              ;; The hint comes 2 s after the command, for 2 s; the
              ;; provider answers the slow model after 3 s, while it shows.
              (let ((suggest-key-bindings 2))
                (with-no-warnings   ; interactive-only: this is what M-x runs
                  (execute-extended-command nil "qwen-agent-test-model"
                                            "qwen-agent-test-model"))
                ;; As the command loop does once the command returned.
                (setq real-last-command 'qwen-agent-test-model)
                (should (string-prefix-p "qwen-agent: Testing" echo))
                (qwen-agent-tests--wait (lambda () restored) 20 "the hint to end")
                (should (string-match-p "works ([0-9]+ ms)" (qwen-agent-tests--messages)))
                (should (string-prefix-p "qwen-agent: Testing" (car hint)))
                (let ((deadline (+ (float-time) 1.0)))
                  (while (< (float-time) deadline) (accept-process-output nil 0.05)))
                (should (string-match-p (format "qwen-agent: %s works ([0-9]+ ms)"
                                                (regexp-quote slow))
                                        (or echo ""))))))
        (use-global-map old-map)))))

(ert-deftest qwen-agent-tests-mode-starts-nothing-at-once ()
  "Turning `qwen-agent-mode' on starts no server until Emacs is idle (item 3)."
  (qwen-agent-tests--with-sandbox
    (unwind-protect
        (progn
          (qwen-agent-mode 1)
          (should-not (qwen-agent--live))
          (should (string-match-p "Qwen\\[off\\]" (qwen-agent-mode-line-string)))
          (should (memq qwen-agent--mode-timer timer-idle-list))
          ;; What the idle timer runs:
          (timer-event-handler qwen-agent--mode-timer)
          (should (qwen-agent--live))
          (qwen-agent-tests--ready)
          (let ((qwen-agent-mode-start-server nil))
            (qwen-agent-mode -1)
            (qwen-agent-shutdown)
            (qwen-agent-mode 1)
            (should-not qwen-agent--mode-timer)
            (should-not (qwen-agent--live))))
      (qwen-agent-mode -1))))

(ert-deftest qwen-agent-tests-no-server-lighter ()
  "A server that cannot be found is said so in the lighter (item 7)."
  (qwen-agent-tests--with-sandbox
    (let ((qwen-agent-server-command (list "qwen-agent-ert-no-such-program")))
      (should-error (qwen-agent-status) :type 'user-error)
      (let ((lighter (qwen-agent-mode-line-string)))
        (should (string-match-p "Qwen\\[no server\\]" lighter))
        (should (string-search "qwen-agent-ert-no-such-program"
                               (get-text-property 1 'help-echo lighter)))
        (should-not (string-search "starts it" (get-text-property 1 'help-echo lighter))))
      (let ((qwen-agent-server-command nil)
            (qwen-agent--package-dir (file-name-as-directory
                                      (expand-file-name "pkg/a/b" qwen-agent-tests--root))))
        (cl-letf (((symbol-function 'executable-find)
                   (lambda (name &rest _) (and (equal name "node") "/usr/bin/node"))))
          (let ((err (should-error (qwen-agent--command) :type 'user-error)))
            ;; The file it looked for, by its real name.
            (should (string-search (abbreviate-file-name
                                    (expand-file-name "pkg/dist/server.js"
                                                      qwen-agent-tests--root))
                                   (cadr err)))
            (should-not (string-search "../" (cadr err)))))))
    (qwen-agent-tests--ready)
    (should-not qwen-agent--missing)
    (should-not (string-match-p "no server" (qwen-agent-mode-line-string)))))

(ert-deftest qwen-agent-tests-config-sums-up-model-lists ()
  "The configuration buffer sums up `modelProviders' instead of printing it (item 8)."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--write
     (qwen-agent-tests--user-settings)
     "{\"modelProviders\": {\"openai\": [
  {\"id\": \"ert-a\", \"baseUrl\": \"http://127.0.0.1:9/v1\", \"envKey\": \"ERT_KEY\",
   \"generationConfig\": {\"timeout\": 1000, \"extra_body\": {\"enable_thinking\": true}}},
  {\"id\": \"ert-b\", \"baseUrl\": \"http://127.0.0.1:9/v1\", \"envKey\": \"ERT_KEY\",
   \"generationConfig\": {\"timeout\": 1000}}],
  \"anthropic\": [{\"id\": \"ert-c\", \"baseUrl\": \"http://127.0.0.1:9\", \"envKey\": \"ERT_KEY2\"}]}}")
    (qwen-agent-tests--ready)
    (qwen-agent-show-config)
    (with-current-buffer "*qwen-agent config*"
      (let ((text (buffer-string)))
        (should (string-search "modelProviders.openai = 2 models: ert-a, ert-b" text))
        (should (string-search "modelProviders.anthropic = 1 model: ert-c" text))
        (should-not (string-search "generationConfig" text))
        (should-not (string-search "enable_thinking" text))))))

(ert-deftest qwen-agent-tests-scope-prompt-annotated ()
  "The scope prompt of C-u M-x qwen-agent-select-model says what each scope means."
  (qwen-agent-tests--with-sandbox
    (qwen-agent-tests--ready)
    (let ((shown nil))
      (cl-letf (((symbol-function 'completing-read)
                 (lambda (prompt table &rest _)
                   (if (string-prefix-p "Model" prompt) "coder-model"
                     (setq shown (qwen-agent-tests--completion table))
                     "session"))))
        (let ((current-prefix-arg '(4)))
          (call-interactively #'qwen-agent-select-model)))
      (should (equal (plist-get shown :cands) '("user" "workspace" "session")))
      (should (string-search "~/.qwen/settings.json"
                             (cdr (assoc "user" (plist-get shown :annot)))))
      (should (string-search ".qwen/settings.json"
                             (cdr (assoc "workspace" (plist-get shown :annot)))))
      (should (string-search "no file written"
                             (cdr (assoc "session" (plist-get shown :annot))))))))

(ert-deftest qwen-agent-tests-command-map ()
  "`qwen-agent-command-map' holds the commands and is bound to nothing (item 9)."
  (should (keymapp qwen-agent-command-map))
  (should (eq (lookup-key qwen-agent-command-map "l") #'qwen-agent-login))
  (should (eq (lookup-key qwen-agent-command-map "m") #'qwen-agent-select-model))
  (should (eq (lookup-key qwen-agent-command-map "s") #'qwen-agent-status))
  (should (eq (lookup-key qwen-agent-command-map "t") #'qwen-agent-test-model))
  (should (eq (lookup-key qwen-agent-command-map "a") #'qwen-agent-chat))
  (should (eq (lookup-key qwen-agent-command-map "A") #'qwen-agent-chat-list))
  (should-not (where-is-internal qwen-agent-command-map global-map))
  (should-not (where-is-internal #'qwen-agent-login global-map)))

(ert-deftest qwen-agent-tests-failed-key-named-in-status-real-server ()
  "With the real server, a key the provider rejected is named in the status buffer."
  (qwen-agent-tests--with-sandbox
    (let* ((default-key "sk-ert-peer-key-0123456789abcdef")
           (peer (qwen-agent-tests--peer "QWEN_AGENT_TEST_PROVIDER"
                                         "provider-server-cli.ts"
                                         "--key" default-key "--exit-on-stdin-end")))
      (qwen-agent-tests--write
       (qwen-agent-tests--user-settings)
       (format "{\"modelProviders\": {\"openai\": [{\"id\": \"qwen3-coder-plus\",
 \"baseUrl\": %S, \"envKey\": \"ERT_BAD_KEY\",
 \"generationConfig\": {\"maxRetries\": 0}}]}}"
               (plist-get peer :url)))
      (qwen-agent-tests--write (expand-file-name ".qwen/.env" qwen-agent-tests--home)
                               "ERT_BAD_KEY=sk-ert-wrong-key-000000000000\n")
      (qwen-agent-tests--ready)
      (let ((r (qwen-agent--request "model/test" (list :authType "openai" :id "qwen3-coder-plus")
                                    :timeout 60)))
        (should (eq (plist-get r :ok) :json-false)))
      (qwen-agent-status)
      (with-current-buffer "*qwen-agent status*"
        (should (string-match-p "^  ERT_BAD_KEY (.*): the provider rejected this key"
                                (buffer-string)))
        (should (string-search "failed its check with the provider" (buffer-string)))
        (should-not (string-search "sk-ert-wrong-key-000000000000" (buffer-string)))))))

;;;; Chat

(defun qwen-agent-tests--streaming ()
  "Return the streaming peer of test/clients/emacs.test.ts, or skip the test.
A plist (:url :key :log); the log file gets one JSON line per
request as it arrives and one when its connection closes."
  (let ((json (let ((process-environment qwen-agent-tests--initial-env))
                (getenv "QWEN_AGENT_TEST_STREAMING"))))
    (if (and json (not (string-empty-p json)))
        (json-parse-string json :object-type 'plist)
      (ert-skip "needs the streaming peer of test/clients/emacs.test.ts"))))

(defun qwen-agent-tests--stream-log (peer)
  "Return the lines of PEER's request log, as plists, oldest first."
  (with-temp-buffer
    (insert-file-contents (plist-get peer :log))
    (mapcar (lambda (l) (json-parse-string l :object-type 'plist :array-type 'list))
            (split-string (buffer-string) "\n" t))))

(defun qwen-agent-tests--stream-requests (peer)
  "Return the requests PEER received, oldest first."
  (cl-remove-if-not (lambda (e) (plist-get e :body)) (qwen-agent-tests--stream-log peer)))

(defun qwen-agent-tests--last-user-content (request)
  "Return the content of the last user message of the logged REQUEST."
  (plist-get (car (last (cl-remove-if-not
                         (lambda (m) (equal (plist-get m :role) "user"))
                         (plist-get (plist-get request :body) :messages))))
             :content))

(defun qwen-agent-tests--chat-setup (peer &optional model)
  "Configure two models of PEER, a key for them, and select MODEL.
MODEL defaults to ert-chat-model; ert-thinker is a thinking model,
and ert-no-key has no key."
  (qwen-agent-tests--write
   (qwen-agent-tests--user-settings)
   (format "{\"model\": {\"name\": %S},
 \"security\": {\"auth\": {\"selectedType\": \"openai\"}},
 \"modelProviders\": {\"openai\": [
  {\"id\": \"ert-chat-model\", \"baseUrl\": %S, \"envKey\": \"ERT_CHAT_KEY\",
   \"generationConfig\": {\"maxRetries\": 0}},
  {\"id\": \"ert-thinker\", \"baseUrl\": %S, \"envKey\": \"ERT_CHAT_KEY\",
   \"generationConfig\": {\"maxRetries\": 0, \"extra_body\": {\"enable_thinking\": true}}},
  {\"id\": \"ert-no-key\", \"baseUrl\": %S, \"envKey\": \"ERT_UNSET_CHAT_KEY\"}]}}"
           (or model "ert-chat-model") (plist-get peer :url) (plist-get peer :url)
           (plist-get peer :url)))
  (qwen-agent-tests--write (expand-file-name ".qwen/.env" qwen-agent-tests--home)
                           (format "ERT_CHAT_KEY=%s\n" (plist-get peer :key)))
  (set-file-modes (expand-file-name ".qwen/.env" qwen-agent-tests--home) #o600))

(defun qwen-agent-tests--header ()
  "Return the chat buffer's header line (`format-mode-line' is empty in batch)."
  (should (equal header-line-format '(:eval (qwen-agent-chat--header-line))))
  (qwen-agent-chat--header-line))

(defun qwen-agent-tests--chat-transcript ()
  "Return the chat buffer's transcript: the text above the prompt."
  (buffer-substring-no-properties (point-min) qwen-agent-chat--out))

(defun qwen-agent-tests--chat-input ()
  "Return the message being typed in the chat buffer."
  (buffer-substring-no-properties qwen-agent-chat--input (point-max)))

(defun qwen-agent-tests--chat-wait-done (&optional seconds)
  "Wait until the chat buffer's turn has ended, at most SECONDS (default 20)."
  (qwen-agent-tests--wait (lambda () (null qwen-agent-chat--turn)) (or seconds 20)
                          "the turn to end"))

(defun qwen-agent-tests--kill-chats ()
  "Kill every chat buffer."
  (dolist (b (buffer-list))
    (when (buffer-local-value 'qwen-agent-chat-mode b)
      (kill-buffer b))))

(ert-deftest qwen-agent-tests-chat-streams-reply ()
  "A reply streams into the chat buffer as it comes, while typing goes on.
C-c C-c sends; the header line names the model and the turn's usage."
  (qwen-agent-tests--with-sandbox
    (let* ((peer (qwen-agent-tests--streaming))
           (before (length (qwen-agent-tests--stream-requests peer)))
           partial)
      (qwen-agent-tests--chat-setup peer)
      (qwen-agent-tests--ready)
      (unwind-protect
          (with-current-buffer (qwen-agent-chat)
            ;; markdown-mode is not installed in emacs -Q: text-mode.
            (should (eq major-mode 'text-mode))
            (should (eq (key-binding (kbd "C-c C-c")) #'qwen-agent-chat-send))
            (should (eq (key-binding (kbd "C-c C-k")) #'qwen-agent-chat-cancel))
            (qwen-agent-tests--wait
             (lambda () (string-search "ert-chat-model (openai)"
                                       (qwen-agent-tests--header)))
             10 "the header line to name the model")
            (goto-char (point-max))
            (insert "What is the answer?")
            (execute-kbd-macro (kbd "C-c C-c"))
            (should (equal (qwen-agent-tests--chat-input) ""))
            (should (string-search "replying" (qwen-agent-tests--header)))
            ;; Part of the reply is there before the rest has come.
            (qwen-agent-tests--wait
             (lambda ()
               (let ((text (qwen-agent-tests--chat-transcript)))
                 (when (and qwen-agent-chat--turn (string-search "The answer " text))
                   (setq partial text))))
             20 "the first pieces of the reply")
            (should-not (string-search "42." partial))
            ;; Typing is not blocked while the reply streams in above it.
            (goto-char (point-max))
            (insert "next question")
            (qwen-agent-tests--chat-wait-done)
            (let ((text (qwen-agent-tests--chat-transcript)))
              (should (string-match-p
                       "## You\n\nWhat is the answer\\?\n\n## Qwen (ert-chat-model)\n\nThe answer is 42\\.\n"
                       text)))
            (should (equal (qwen-agent-tests--chat-input) "next question"))
            (should (= (point) (point-max)))
            (let ((header (qwen-agent-tests--header)))
              (should (string-search "ert-chat-model (openai)" header))
              (should (string-search "in 17 · out 4 tokens" header)))
            ;; The transcript is read-only; the message is not.
            (should-error (progn (goto-char (point-min)) (insert "x")) :type 'text-read-only)
            (should-error (progn (goto-char (+ (point-min) 20)) (insert "x"))
                          :type 'text-read-only)
            (should-error (progn (goto-char qwen-agent-chat--out) (insert "x"))
                          :type 'text-read-only)
            (let ((reqs (nthcdr before (qwen-agent-tests--stream-requests peer))))
              (should (= (length reqs) 1))
              (should (equal (qwen-agent-tests--last-user-content (car reqs))
                             "What is the answer?"))))
        (qwen-agent-tests--kill-chats)))))

(ert-deftest qwen-agent-tests-chat-region-as-context ()
  "The region goes to the model as context: its file, language and lines."
  (qwen-agent-tests--with-sandbox
    (let* ((peer (qwen-agent-tests--streaming))
           (before (length (qwen-agent-tests--stream-requests peer)))
           (file (expand-file-name "calc.py" qwen-agent-tests--project)))
      (qwen-agent-tests--chat-setup peer)
      (qwen-agent-tests--write file "def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n")
      (qwen-agent-tests--ready)
      (unwind-protect
          (let ((src (find-file-noselect file)))
            (with-current-buffer src
              (should (eq major-mode 'python-mode))
              (transient-mark-mode 1)
              (goto-char (point-min))
              (push-mark (point) t t)
              (forward-line 1)
              (end-of-line)
              (call-interactively #'qwen-agent-chat-region))
            (with-current-buffer (qwen-agent-chat--find-buffer 'global)
              (should (string-search "[context: " (buffer-string)))
              (should (string-search "calc.py lines 1-2 (python)]" (buffer-string)))
              (goto-char (point-max))
              (insert "Explain this.")
              (qwen-agent-chat-send)
              (qwen-agent-tests--chat-wait-done)
              (should-not (string-search "[context: " (buffer-string)))
              (should (string-search "```python\ndef add(a, b):\n    return a + b\n```\n\nExplain this."
                                     (qwen-agent-tests--chat-transcript)))
              (let ((reqs (nthcdr before (qwen-agent-tests--stream-requests peer))))
                (should (= (length reqs) 1))
                (should (equal (qwen-agent-tests--last-user-content (car reqs))
                               "File: calc.py (python) lines 1-2:
```python
def add(a, b):
    return a + b
```

Explain this.")))
              ;; The server kept the item with the message, as sent.
              (let* ((h (qwen-agent--request "chat/history"
                                             (list :chatId qwen-agent-chat--id)))
                     (item (aref (plist-get (aref (plist-get h :messages) 0) :context) 0)))
                (should (equal (plist-get item :uri) (qwen-agent--path-to-uri file)))
                (should (equal (plist-get item :languageId) "python"))
                (should (equal (plist-get item :range)
                               '(:start (:line 0 :character 0)
                                        :end (:line 1 :character 16)))))))
        (qwen-agent-tests--kill-chats)
        (when-let ((b (get-file-buffer file))) (kill-buffer b))))))

(ert-deftest qwen-agent-tests-chat-cancel ()
  "C-c C-k cancels the reply: the provider's connection closes, the text so far stays."
  (qwen-agent-tests--with-sandbox
    (let* ((peer (qwen-agent-tests--streaming))
           (before (length (qwen-agent-tests--stream-requests peer))))
      (qwen-agent-tests--chat-setup peer)
      (qwen-agent-tests--ready)
      (unwind-protect
          (with-current-buffer (qwen-agent-chat)
            (goto-char (point-max))
            (insert "HANG after two pieces")
            (execute-kbd-macro (kbd "C-c C-c"))
            (qwen-agent-tests--wait
             (lambda () (string-search "first second " (qwen-agent-tests--chat-transcript)))
             20 "the pieces before the hang")
            (should qwen-agent-chat--turn)
            (execute-kbd-macro (kbd "C-c C-k"))
            (qwen-agent-tests--chat-wait-done 10)
            (should (string-match-p "first second \n\\[cancelled\\]\n"
                                    (qwen-agent-tests--chat-transcript)))
            (should (string-search "cancelled" (qwen-agent-tests--header)))
            ;; The provider's connection was closed, its answer unfinished.
            (let ((n (plist-get (car (nthcdr before (qwen-agent-tests--stream-requests peer)))
                                :n)))
              (should (numberp n))
              (qwen-agent-tests--wait
               (lambda ()
                 (cl-find-if (lambda (e) (and (eql (plist-get e :n) n) (plist-get e :closed)))
                             (qwen-agent-tests--stream-log peer)))
               5 "the provider's connection to close")
              (should (eq (plist-get (cl-find-if (lambda (e) (and (eql (plist-get e :n) n)
                                                                  (plist-get e :closed)))
                                                 (qwen-agent-tests--stream-log peer))
                                     :completed)
                          :false)))
            ;; The partial reply is kept in the chat.
            (let* ((h (qwen-agent--request "chat/history"
                                           (list :chatId qwen-agent-chat--id)))
                   (reply (aref (plist-get h :messages) 1)))
              (should (equal (plist-get reply :text) "first second "))
              (should (equal (plist-get reply :stopReason) "cancelled")))
            ;; The chat goes on.
            (goto-char (point-max))
            (insert "Again?")
            (qwen-agent-chat-send)
            (qwen-agent-tests--chat-wait-done)
            (should (string-search "The answer is 42." (qwen-agent-tests--chat-transcript))))
        (qwen-agent-tests--kill-chats)))))

(ert-deftest qwen-agent-tests-chat-list-resumes-after-restart ()
  "A saved chat resumes after a server restart, thinking folded, history sent."
  (qwen-agent-tests--with-sandbox
    (let* ((peer (qwen-agent-tests--streaming))
           (before (length (qwen-agent-tests--stream-requests peer)))
           offered)
      (qwen-agent-tests--chat-setup peer "ert-thinker")
      (qwen-agent-tests--ready)
      (unwind-protect
          (progn
            (with-current-buffer (qwen-agent-chat)
              (goto-char (point-max))
              (insert "THINK: what is 6*7?")
              (qwen-agent-chat-send)
              (qwen-agent-tests--chat-wait-done)
              (let ((pos (+ (point-min)
                            (string-search "six times seven." (buffer-string)))))
                ;; Thinking is folded, and C-c C-t shows it.
                (should (invisible-p pos))
                (execute-kbd-macro (kbd "C-c C-t"))
                (should-not (invisible-p pos)))
              (should (string-search "in 3 · out 9 · thinking 8 tokens"
                                     (qwen-agent-tests--header))))
            (qwen-agent-tests--kill-chats)
            (qwen-agent-tests--stop-all)
            (qwen-agent-tests--ready)
            (cl-letf (((symbol-function 'completing-read)
                       (lambda (_prompt table &rest _)
                         (setq offered (all-completions "" table))
                         (car offered))))
              (qwen-agent-chat-list))
            (should (equal offered '("THINK: what is 6*7?")))
            (with-current-buffer (qwen-agent-chat--find-buffer 'global)
              (should (string-prefix-p "*qwen-agent chat: THINK" (buffer-name)))
              (let ((text (qwen-agent-tests--chat-transcript)))
                (should (string-search "## You\n\nTHINK: what is 6*7?\n\n## Qwen (ert-thinker)\n"
                                       text))
                (should (string-search "42\n" text)))
              (should (invisible-p (+ (point-min)
                                      (string-search "six times seven." (buffer-string)))))
              (should (string-search "ert-thinker (openai)" (qwen-agent-tests--header)))
              (should (string-search "thinking 8" (qwen-agent-tests--header)))
              (goto-char (point-max))
              (insert "And why?")
              (qwen-agent-chat-send)
              (qwen-agent-tests--chat-wait-done)
              (let* ((req (car (last (nthcdr before (qwen-agent-tests--stream-requests peer)))))
                     (msgs (plist-get (plist-get req :body) :messages)))
                (should (equal (mapcar (lambda (m) (list (plist-get m :role) (plist-get m :content)))
                                       msgs)
                               '(("user" "THINK: what is 6*7?") ("assistant" "42")
                                 ("user" "And why?")))))))
        (qwen-agent-tests--kill-chats)))))

(ert-deftest qwen-agent-tests-chat-not-sent ()
  "A message the server refuses (no key) says why and goes back to the input."
  (qwen-agent-tests--with-sandbox
    (let* ((peer (qwen-agent-tests--streaming))
           (before (length (qwen-agent-tests--stream-requests peer))))
      (qwen-agent-tests--chat-setup peer "ert-no-key")
      (qwen-agent-tests--ready)
      (unwind-protect
          (with-current-buffer (qwen-agent-chat)
            (goto-char (point-max))
            (insert "Hello there")
            (qwen-agent-chat-send)
            (qwen-agent-tests--chat-wait-done)
            (should (string-match-p "\\[not sent: .*ERT_UNSET_CHAT_KEY"
                                    (qwen-agent-tests--chat-transcript)))
            (should (equal (qwen-agent-tests--chat-input) "Hello there"))
            (should (string-search "not sent" (qwen-agent-tests--header)))
            (should (= (length (qwen-agent-tests--stream-requests peer)) before)))
        (qwen-agent-tests--kill-chats)))))

(define-derived-mode qwen-agent-tests--markdown-mode text-mode "Markdown"
  "A stand-in for markdown-mode, which binds C-c C-c and C-c C-k too.")
(define-key qwen-agent-tests--markdown-mode-map (kbd "C-c C-c") #'ignore)
(define-key qwen-agent-tests--markdown-mode-map (kbd "C-c C-k") #'ignore)

(ert-deftest qwen-agent-tests-chat-markdown-mode ()
  "With markdown-mode installed, chat buffers use it, and keep their keys."
  (qwen-agent-tests--with-sandbox
    (unwind-protect
        (cl-letf (((symbol-function 'markdown-mode) #'qwen-agent-tests--markdown-mode))
          (with-current-buffer (qwen-agent-chat)
            (should (eq major-mode 'qwen-agent-tests--markdown-mode))
            (should (eq (key-binding (kbd "C-c C-c")) #'qwen-agent-chat-send))
            (should (eq (key-binding (kbd "C-c C-k")) #'qwen-agent-chat-cancel))
            (should (string-search "C-c C-c sends" (buffer-string)))
            (should-error (qwen-agent-chat-send) :type 'user-error)))
      (qwen-agent-tests--kill-chats))))

;;;; Batch runner

(defun qwen-agent-tests--result-line (test result)
  "Return the JSON line that reports RESULT of TEST."
  (let* ((status (cond ((ert-test-passed-p result) "passed")
                       ((ert-test-skipped-p result) "skipped")
                       (t "failed")))
         (detail (when (ert-test-result-with-condition-p result)
                   (let ((print-length 20) (print-level 6))
                     (format "%S" (ert-test-result-with-condition-condition result))))))
    (concat (json-serialize
             (list :name (symbol-name (ert-test-name test))
                   :status status
                   :duration (ert-test-result-duration result)
                   :message (if detail (truncate-string-to-width detail 4000) "")))
            "\n")))

(defun qwen-agent-tests-run-batch ()
  "Run the tests in batch mode, report each, and exit with their status.
Each result is also appended to the file QWEN_AGENT_ERT_RESULTS names."
  (let* ((out (getenv "QWEN_AGENT_ERT_RESULTS"))
         (selector (let ((s (getenv "QWEN_AGENT_ERT_SELECTOR")))
                     (if (and s (not (string-empty-p s))) s "^qwen-agent-tests-")))
         (stats
          (ert-run-tests
           selector
           (lambda (event &rest args)
             (pcase event
               ('test-started
                (princ (format "  running %s\n" (ert-test-name (nth 1 args)))))
               ('test-ended
                (let ((test (nth 1 args)) (result (nth 2 args)))
                  (princ (format "  %s %s (%.1f s)\n"
                                 (cond ((ert-test-passed-p result) "passed")
                                       ((ert-test-skipped-p result) "skipped")
                                       (t "FAILED"))
                                 (ert-test-name test)
                                 (ert-test-result-duration result)))
                  (when (ert-test-result-with-condition-p result)
                    (princ (format "    %S\n" (ert-test-result-with-condition-condition
                                               result))))
                  (when out
                    (write-region (qwen-agent-tests--result-line test result)
                                  nil out t 'silent)))))))))
    (dolist (p qwen-agent-tests--peers) (ignore-errors (delete-process p)))
    (princ (format "%d tests, %d unexpected\n" (ert-stats-total stats)
                   (ert-stats-completed-unexpected stats)))
    (kill-emacs (if (zerop (ert-stats-completed-unexpected stats)) 0 1))))

(provide 'qwen-agent-tests)
;;; qwen-agent-tests.el ends here

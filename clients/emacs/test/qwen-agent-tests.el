;;; qwen-agent-tests.el --- ERT tests for qwen-agent -*- lexical-binding: t; -*-

;;; Commentary:

;; These tests drive the real qwen-agent-server (dist/server.js of this
;; repository: build it first with `npm run build') in a temporary
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
          (qwen-agent-server-command
           (list "node" (expand-file-name "dist/server.js" qwen-agent-tests--repo)))
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
  (let ((json (getenv var)))
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
        (qwen-agent-login "api-key" "openai" "OPENAI_API_KEY"))
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
        (let ((err (should-error (qwen-agent-login "coding-plan" nil nil "global")
                                 :type 'user-error)))
          (should (string-prefix-p "qwen-agent: " (cadr err)))
          (should (string-match-p "sk-sp-" (cadr err)))
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
                                                 (qwen-agent-mode-line-string)))))))

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
        (should (string-match-p "did not answer initialize within 1 s" (cadr err)))
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
      (qwen-agent-login "api-key" "anthropic" nil))
    (let ((env (expand-file-name ".qwen/.env" qwen-agent-tests--home)))
      (should (string-search "ANTHROPIC_API_KEY=" (qwen-agent-tests--read env)))
      (cl-letf (((symbol-function 'completing-read)
                 (lambda (_prompt table &rest _)
                   (car (all-completions "Anthropic" table)))))
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
        (qwen-agent-login "api-key" "openai" "ERT_PEER_KEY"))
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
       (lambda () (string-search "Sign-in failed: cancelled" (qwen-agent-tests--login-text)))
       15 "the cancellation")
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
       (lambda () (string-search "Sign-in failed: cancelled" (qwen-agent-tests--login-text)))
       10 "the cancellation")
      (should (string-search "qwen-agent: Qwen OAuth sign-in failed: cancelled"
                             (qwen-agent-tests--messages)))
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

;;; qwen-agent-lint.el --- Batch lint helpers for qwen-agent -*- lexical-binding: t; -*-

;;; Commentary:

;; Used by test/clients/emacs.test.ts, in batch mode:
;;
;;   -l qwen-agent-lint.el -f qwen-agent-lint-checkdoc FILE...
;;   -l qwen-agent-lint.el -f qwen-agent-lint-package-lint FILE...
;;
;; Each prints one line per problem as FILE:LINE: TEXT and exits
;; non-zero when there is any.

;;; Code:

(require 'checkdoc)

(defun qwen-agent-lint--exit (problems)
  "Print PROBLEMS and exit: status 1 when there are any."
  (dolist (p problems) (princ (concat p "\n")))
  (kill-emacs (if problems 1 0)))

(defun qwen-agent-lint-checkdoc ()
  "Run `checkdoc' on the files left on the command line."
  (let (problems)
    (dolist (file command-line-args-left)
      (with-current-buffer (find-file-noselect file)
        (let ((checkdoc-create-error-function
               (lambda (text start _end &optional _unfixable)
                 (push (format "%s:%d: %s" (file-name-nondirectory file)
                               (line-number-at-pos start) text)
                       problems)
                 nil))
              (checkdoc-autofix-flag 'never)
              (checkdoc-spellcheck-documentation-flag nil))
          (checkdoc-current-buffer t))))
    (setq command-line-args-left nil)
    (qwen-agent-lint--exit (nreverse problems))))

(defun qwen-agent-lint-load-package-lint ()
  "Load package-lint from package.el or from Debian's elpa-package-lint.
Return non-nil when it could be loaded."
  (package-initialize)
  (unless (locate-library "package-lint")
    (dolist (dir (append
                  (file-expand-wildcards
                   "/usr/share/emacs/site-lisp/elpa/package-lint-*")
                  (file-expand-wildcards
                   "/usr/share/emacs/site-lisp/elpa-src/package-lint-*")))
      (add-to-list 'load-path dir)))
  (require 'package-lint nil t))

(defun qwen-agent-lint--offline-archive ()
  "Make package-lint's installability check work without network.
package-lint looks dependencies up in `package-archive-contents',
which is empty unless the archives were fetched.  When it has no
entry for jsonrpc, add GNU ELPA's (jsonrpc 1.0.25 is published
there; Emacs 28 ships 1.0.14)."
  (require 'package)
  (unless (assq 'jsonrpc package-archive-contents)
    (push (list 'jsonrpc
                (package-desc-create :name 'jsonrpc :version '(1 0 25)
                                     :summary "JSON-RPC library"
                                     :reqs '((emacs (25 2)))
                                     :kind 'tar :archive "gnu"))
          package-archive-contents)))

(defun qwen-agent-lint--known-false-positive-p (text)
  "Return non-nil when TEXT is a known false positive of an old package-lint.
Debian bookworm ships package-lint 0.16, which predates Emacs 28.1
and calls a dependency on Emacs 28 uninstallable in all released
versions; the Emacs running this check is itself a released 28+."
  (and (>= emacs-major-version 28)
       (string= text "This makes the package uninstallable in all released Emacs versions.")))

(defun qwen-agent-lint-package-lint ()
  "Run `package-lint' on the files left on the command line."
  (unless (qwen-agent-lint-load-package-lint)
    (princ "package-lint is not installed: run scripts/install-emacs.sh\n")
    (kill-emacs 2))
  (qwen-agent-lint--offline-archive)
  (let (problems)
    (dolist (file command-line-args-left)
      (with-temp-buffer
        (insert-file-contents file t)
        (emacs-lisp-mode)
        (pcase-dolist (`(,line ,col ,type ,text) (package-lint-buffer))
          (unless (qwen-agent-lint--known-false-positive-p text)
           (push (format "%s:%d:%d: %s: %s" (file-name-nondirectory file)
                        line col type text)
                problems)))))
    (setq command-line-args-left nil)
    (qwen-agent-lint--exit (nreverse problems))))

(provide 'qwen-agent-lint)
;;; qwen-agent-lint.el ends here

#!/usr/bin/env bash
# screenshot.sh makes docs/editing-flows.png, the picture in the README's
# "Editing flows": neovim's built-in LSP client talking to `atrun lsp`, in
# an xterm on a virtual X display, showing the diagnostics of a script with
# three mistakes and the hover doc of a builtin. Nothing in it is drawn by
# hand: it is the screen as neovim left it.
#
# Needs Debian's xvfb, xterm, neovim (0.7 or newer), imagemagick and
# fonts-dejavu-core:
#   apt-get install -y xvfb xterm neovim imagemagick fonts-dejavu-core
# ATRUN=path uses that atrun binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-docs/editing-flows.png}
for tool in Xvfb xterm nvim import convert; do
	command -v "$tool" >/dev/null || { echo "screenshot.sh: $tool not found (see the comment at the top)" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill "${pids[i]}" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

atrun=${ATRUN:-}
if [ -z "$atrun" ]; then
	atrun=$work/atrun
	go build -o "$atrun" ./cmd/atrun
fi

mkdir "$work/flows"
cat >"$work/flows/publish.at" <<'EOF'
# Publish one MQTT message through a SIM7000's raw TCP socket.
param broker   = "127.0.0.1"
param topic
param message  = "hello"
param password = "" secret

let connect = mqtt_connect("dev1", {keepalive: 60, pasword: password})
let publish = mqtt_publish(topic, mesage, {qos: 1, id: 1})

timeout 5s
abort "ERROR", /^\+CME ERROR: (?P<cme>\d+)$/

send "AT" expect "OK" retry 10 every 500ms
send `AT+CSTT="iot"` expect "OK"
send "AT+CIICR" expect "OK" timeout 85s
send `AT+CIPSTART="TCP","${brokr}",1883` expect "CONNECT OK" timeout 75s
send "AT+CIPSEND" expect prompt ">"
write connect + publish
expect "SEND OK" timeout 30s

finally {
  send "AT+CIPCLOSE" expect any
}
EOF

# The editor: line numbers, a little colour for .at, and atrun lsp as the
# language server. Once the first diagnostics arrive, the cursor goes to
# mqtt_publish and asks for its hover (neovim opens it below the cursor
# in the upper half of the window); then a file tells this script that
# the screen is ready.
cat >"$work/init.lua" <<EOF
vim.opt.termguicolors = true
vim.opt.number = true
vim.opt.signcolumn = 'yes'
vim.opt.swapfile = false
vim.opt.shortmess:append('I')
vim.opt.laststatus = 2
vim.cmd('colorscheme default')
vim.cmd('highlight Normal guibg=#1e1e1e guifg=#d4d4d4')
vim.cmd('highlight LineNr guifg=#6e7681')
vim.cmd('highlight SignColumn guibg=#1e1e1e')
vim.cmd('highlight NormalFloat guibg=#2d2d30 guifg=#d4d4d4')
vim.cmd('highlight FloatBorder guibg=#2d2d30 guifg=#6e7681')
vim.cmd('highlight DiagnosticError guifg=#f14c4c')
vim.cmd('highlight link markdownError NONE') -- an _ inside a word is no error
vim.cmd('highlight DiagnosticVirtualTextError guifg=#f14c4c guibg=#3a1d1d')
vim.cmd('highlight DiagnosticUnderlineError gui=undercurl guisp=#f14c4c')
vim.diagnostic.config({ virtual_text = { prefix = '●' }, signs = true, underline = true })
vim.lsp.handlers['textDocument/hover'] = vim.lsp.with(vim.lsp.handlers.hover, { border = 'rounded', max_width = 72 })

local function colour()
  vim.cmd([[
    syntax clear
    syntax keyword atKeyword param timeout abort include send write expect retry every read on let if else repeat flow call sleep log emit fail finally dialect secret prompt any ok
    syntax match atNumber /\<\d\+\(ms\|s\|m\|h\)\?\>/
    syntax region atString start=/"/ skip=/\\\\"/ end=/"/ contains=atInterp
    syntax region atString start=/\`/ end=/\`/ contains=atInterp
    syntax region atInterp start=/\\\${/ end=/}/ contained
    syntax match atRegex +/\^[^/]*/+
    syntax match atComment /#.*$/
    highlight atKeyword guifg=#569cd6
    highlight atNumber guifg=#b5cea8
    highlight atString guifg=#ce9178
    highlight atInterp guifg=#9cdcfe
    highlight atRegex guifg=#d16969
    highlight atComment guifg=#6a9955
  ]])
end

local shown = false
vim.api.nvim_create_autocmd('BufEnter', { pattern = '*.at', callback = function()
  colour()
  local id = vim.lsp.start_client({
    name = 'atrun',
    cmd = { '$atrun', 'lsp' },
    root_dir = vim.fn.getcwd(),
    handlers = {
      ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
        vim.lsp.diagnostic.on_publish_diagnostics(err, result, ctx, config)
        if shown or #result.diagnostics == 0 then return end
        shown = true
        vim.defer_fn(function()
          vim.fn.search('mqtt_publish')
          vim.cmd('normal! 3l')
          vim.lsp.buf.hover()
          vim.defer_fn(function()
            vim.fn.writefile({ 'ready' }, '$work/ready')
          end, 1500)
        end, 300)
      end,
    },
  })
  vim.lsp.buf_attach_client(0, id)
end })
EOF

display=:$((90 + RANDOM % 100))
Xvfb "$display" -screen 0 1440x500x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	[ -e "/tmp/.X11-unix/X${display#:}" ] && break
	sleep 0.1
done
(cd "$work/flows" && exec xterm -display "$display" -geometry 166x25+0+0 -bw 0 \
	-fa 'DejaVu Sans Mono' -fs 11 -bg '#1e1e1e' -fg '#d4d4d4' \
	-e nvim -u "$work/init.lua" publish.at) &
pids+=($!)
for _ in $(seq 150); do
	[ -e "$work/ready" ] && break
	sleep 0.1
done
[ -e "$work/ready" ] || { echo "screenshot.sh: neovim did not show the diagnostics and the hover within 15 s" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
import -display "$display" -window root "$work/shot.png"
convert "$work/shot.png" -trim +repage -colors 64 -strip "PNG8:$out"
echo "screenshot.sh: wrote $out ($(wc -c <"$out") bytes)"

<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AccountsDialog</name>
    <message>
        <source>Accounts</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Full name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Disable…</source>
        <translation>停用…</translation>
    </message>
    <message>
        <source>Reset password…</source>
        <translation>重置密码…</translation>
    </message>
    <message>
        <source>Change role…</source>
        <translation>更改角色…</translation>
    </message>
    <message>
        <source>Unlock…</source>
        <translation>解除锁定…</translation>
    </message>
    <message>
        <source>Initial password</source>
        <translation>初始密码</translation>
    </message>
    <message>
        <source>Create the account</source>
        <translation>创建账号</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>已停用</translation>
    </message>
    <message>
        <source>locked until {t}</source>
        <translation>锁定至 {t}</translation>
    </message>
    <message>
        <source>must change the password</source>
        <translation>须修改密码</translation>
    </message>
    <message>
        <source>Enable…</source>
        <translation>启用…</translation>
    </message>
    <message>
        <source>Enable</source>
        <translation>启用</translation>
    </message>
    <message>
        <source>Disable</source>
        <translation>停用</translation>
    </message>
    <message>
        <source>{verb} the account {name}?</source>
        <translation>{verb}账号 {name}？</translation>
    </message>
    <message>
        <source>The change and its reason are kept in the log.</source>
        <translation>此项更改及其理由将记入日志。</translation>
    </message>
    <message>
        <source>{name}: done</source>
        <translation>{name}：已完成</translation>
    </message>
    <message>
        <source>Reset the password of {name}?</source>
        <translation>重置 {name} 的密码？</translation>
    </message>
    <message>
        <source>Give a temporary password and tell it to the user in person: they must change it when they next sign in.</source>
        <translation>请设置临时密码并当面告知本人：下次登录时必须修改。</translation>
    </message>
    <message>
        <source>Reset the password</source>
        <translation>重置密码</translation>
    </message>
    <message>
        <source>{name}: temporary password set</source>
        <translation>{name}：已设置临时密码</translation>
    </message>
    <message>
        <source>Temporary password</source>
        <translation>临时密码</translation>
    </message>
    <message>
        <source>Change the role of {name}?</source>
        <translation>更改 {name} 的角色？</translation>
    </message>
    <message>
        <source>From {old} to {new}. The change and its reason are kept in the log.</source>
        <translation>由“{old}”改为“{new}”。此项更改及其理由将记入日志。</translation>
    </message>
    <message>
        <source>Change the role</source>
        <translation>更改角色</translation>
    </message>
    <message>
        <source>{name}: role changed</source>
        <translation>{name}：角色已更改</translation>
    </message>
    <message>
        <source>Unlock {name}?</source>
        <translation>解除 {name} 的锁定？</translation>
    </message>
    <message>
        <source>The account was locked after too many wrong passwords.</source>
        <translation>该账号因密码连续输错次数过多已被锁定。</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>{name}: unlocked</source>
        <translation>{name}：已解除锁定</translation>
    </message>
    <message>
        <source>Created: {name}</source>
        <translation>已创建：{name}</translation>
    </message>
</context>
<context>
    <name>AppealPanel</name>
    <message>
        <source>Appeal against the re-record</source>
        <translation>对退回重录的申诉</translation>
    </message>
    <message>
        <source>A teller or branch disputes this re-record. Another reviewer will decide the appeal; everything is kept in the log.</source>
        <translation>柜员或网点对退回重录提出异议。申诉将由另一名复核员裁定；全部过程记入日志。</translation>
    </message>
    <message>
        <source>Record the appeal</source>
        <translation>登记申诉</translation>
    </message>
    <message>
        <source>Who appeals (teller or branch)</source>
        <translation>申诉人（柜员或网点）</translation>
    </message>
</context>
<context>
    <name>DecisionPanel</name>
    <message>
        <source>Decision</source>
        <translation>复核结论</translation>
    </message>
    <message>
        <source>(no reason code)</source>
        <translation>（未选原因）</translation>
    </message>
    <message>
        <source>Reason text (required to reject)</source>
        <translation>原因说明（退回重录时必填）</translation>
    </message>
    <message>
        <source>Approve (A)</source>
        <translation>通过 (A)</translation>
    </message>
    <message>
        <source>Re-record (R)</source>
        <translation>退回重录 (R)</translation>
    </message>
    <message>
        <source>Escalate (E)</source>
        <translation>上报 (E)</translation>
    </message>
    <message>
        <source>Appeal…</source>
        <translation>申诉…</translation>
    </message>
    <message>
        <source>Record a teller&apos;s or branch&apos;s appeal against a re-record</source>
        <translation>登记柜员或网点对退回重录的申诉</translation>
    </message>
    <message>
        <source>Next recording (J)</source>
        <translation>下一条录像 (J)</translation>
    </message>
    <message>
        <source>The script is checked by ear, but only {got:.0%} of the speech was played (at least {need:.0%} is needed).</source>
        <translation>话术须人工收听，但讲话部分只播放了 {got:.0%}（至少要听 {need:.0%}）。</translation>
    </message>
    <message>
        <source>{n} of the places to watch were not played ({places}).</source>
        <translation>还有 {n} 处需观看的片段没有播放（{places}）。</translation>
    </message>
    <message>
        <source>Cancel and play them, or give the reason to approve without it (it is logged with the decision).</source>
        <translation>请取消后播放，或写明不播放就通过的理由（理由随决定记入日志）。</translation>
    </message>
    <message>
        <source>Approve without watching?</source>
        <translation>未观看就通过？</translation>
    </message>
    <message>
        <source>Approve without listening?</source>
        <translation>不收听就通过？</translation>
    </message>
    <message>
        <source>Approve without watching</source>
        <translation>不观看，直接通过</translation>
    </message>
    <message>
        <source>Approve without listening</source>
        <translation>不收听就通过</translation>
    </message>
    <message>
        <source>Change the decision?</source>
        <translation>更改复核结论？</translation>
    </message>
    <message>
        <source>This recording&apos;s decision is {old} (by {who}). Change it to {new}? The change and its reason are kept in the history and the log.</source>
        <translation>这条录像的结论是“{old}”（{who}）。要改为“{new}”吗？更改及理由将记入历史记录和日志。</translation>
    </message>
    <message>
        <source>Change the decision</source>
        <translation>更改结论</translation>
    </message>
    <message>
        <source>Saved: {verdict} by {who} at {when}</source>
        <translation>已保存：{verdict}（{who}，{when}）</translation>
    </message>
    <message>
        <source>The decision was not saved</source>
        <translation>复核结论未保存</translation>
    </message>
</context>
<context>
    <name>Errors</name>
    <message>
        <source>The results database cannot be reached. Check the network connection; if it persists, ask the administrator. Your unsaved reason text is kept as a draft.</source>
        <translation>无法连接结果数据库。请检查网络连接；如果一直无法连接，请联系管理员。尚未保存的原因说明已作为草稿保留。</translation>
    </message>
    <message>
        <source>Database error</source>
        <translation>数据库错误</translation>
    </message>
</context>
<context>
    <name>EvidencePanel</name>
    <message>
        <source>The tool could not audit this recording: {cause}. It cannot be approved: re-record it (R) or escalate it (E).</source>
        <translation>本工具未能审核这段录像：{cause}。不能通过：请退回重录（R）或上报（E）。</translation>
    </message>
    <message>
        <source>Speech listened to: {got:.0%} of at least {need:.0%}</source>
        <translation>已收听讲话 {got:.0%}（至少 {need:.0%}）</translation>
    </message>
</context>
<context>
    <name>FindingsPanel</name>
    <message>
        <source>Findings</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Problem</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Reviewer&apos;s verdict</source>
        <translation>复核判断</translation>
    </message>
    <message>
        <source>Note on this finding (optional)</source>
        <translation>对该问题的备注（可选）</translation>
    </message>
    <message>
        <source>Real (T)</source>
        <translation>属实 (T)</translation>
    </message>
    <message>
        <source>False alarm (F)</source>
        <translation>误报 (F)</translation>
    </message>
    <message>
        <source>Kept to calibrate the checks; it does not change the decision</source>
        <translation>用于日后校准检查项，不影响复核结论</translation>
    </message>
    <message>
        <source>whole recording</source>
        <translation>整段</translation>
    </message>
    <message>
        <source>[mandatory] </source>
        <translation>【必检】</translation>
    </message>
    <message>
        <source>Real</source>
        <translation>属实</translation>
    </message>
    <message>
        <source>False alarm</source>
        <translation>误报</translation>
    </message>
    <message>
        <source>Not saved</source>
        <translation>未保存</translation>
    </message>
</context>
<context>
    <name>HanziPanel</name>
    <message>
        <source>Chinese characters by a multilingual Whisper, for reading only: the script check verified the phrases on the pinyin transcript.</source>
        <translation>汉字由多语种 Whisper 转写，仅供阅读：话术核验依据的是拼音转写。</translation>
    </message>
    <message>
        <source>No file of this recording to transcribe.</source>
        <translation>找不到该录像的文件，无法转写。</translation>
    </message>
    <message>
        <source>Transcribing in Chinese characters…</source>
        <translation>正在转写为汉字…</translation>
    </message>
    <message>
        <source>This file is not the one audited: no transcript is shown.</source>
        <translation>该文件不是审核时的文件：不显示转写。</translation>
    </message>
    <message>
        <source>No speech recognised.</source>
        <translation>未识别到语音。</translation>
    </message>
    <message>
        <source>time budget used up</source>
        <translation>时间预算用尽</translation>
    </message>
    <message>
        <source>it repeated itself</source>
        <translation>出现重复循环</translation>
    </message>
    <message>
        <source>stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Not transcribed {start}–{end}: the recogniser stopped ({why}).</source>
        <translation>{start}–{end} 未转写：识别器已停止（{why}）。</translation>
    </message>
    <message>
        <source>No character transcript: {why}</source>
        <translation>无汉字转写：{why}</translation>
    </message>
</context>
<context>
    <name>HistoryPanel</name>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>人员</translation>
    </message>
    <message>
        <source>What</source>
        <translation>结论</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>理由</translation>
    </message>
    <message>
        <source>Appeal against the re-record</source>
        <translation>对退回重录的申诉</translation>
    </message>
    <message>
        <source>{appellant} (entered by {account})</source>
        <translation>{appellant}（由 {account} 登记）</translation>
    </message>
    <message>
        <source>Last decision: {verdict} by {who} at {when}</source>
        <translation>上次结论：{verdict}（{who}，{when}）</translation>
    </message>
    <message>
        <source>(awaiting a second senior)</source>
        <translation>（待第二名高级复核员确认）</translation>
    </message>
    <message>
        <source>(second senior: confirmed)</source>
        <translation>（第二名高级复核员：已确认）</translation>
    </message>
    <message>
        <source>(decides the appeal)</source>
        <translation>（裁定申诉）</translation>
    </message>
    <message>
        <source>changed because: {why}</source>
        <translation>更改理由：{why}</translation>
    </message>
    <message>
        <source>approved without watching: {why}</source>
        <translation>未观看即通过的理由：{why}</translation>
    </message>
    <message>
        <source>watched {n} of {m} places</source>
        <translation>已观看 {n}/{m} 处</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>Reject (re-record)</source>
        <translation>退回重录</translation>
    </message>
    <message>
        <source>Escalate</source>
        <translation>上报</translation>
    </message>
</context>
<context>
    <name>ItemRow</name>
    <message>
        <source>Whole recording</source>
        <translation>整段录像</translation>
    </message>
    <message>
        <source>How to fix: </source>
        <translation>怎么改：</translation>
    </message>
    <message>
        <source>Play this moment</source>
        <translation>播放此处</translation>
    </message>
    <message>
        <source>(whole recording)</source>
        <translation>（整段录像）</translation>
    </message>
</context>
<context>
    <name>LockDialog</name>
    <message>
        <source>Locked</source>
        <translation>已锁定</translation>
    </message>
    <message>
        <source>Locked after a time without input. {who}: enter your password.</source>
        <translation>长时间无操作，窗口已锁定。{who}：请输入密码。</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
</context>
<context>
    <name>LoginDialog</name>
    <message>
        <source>Sign in — dual-recording review</source>
        <translation>登录 — 双录审核</translation>
    </message>
    <message>
        <source>Sign in with your reviewer account</source>
        <translation>请用复核员账号登录</translation>
    </message>
    <message>
        <source>User name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>Full name</source>
        <translation>姓名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Repeat the password</source>
        <translation>再次输入密码</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>First start: create the administrator account. The administrator then creates the reviewers&apos; accounts (Settings → Accounts).</source>
        <translation>首次启动：请创建管理员账号。之后由管理员为复核员创建账号（设置 → 账号）。</translation>
    </message>
    <message>
        <source>Create the administrator</source>
        <translation>创建管理员</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在核验…</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Dual-recording review</source>
        <translation>双录审核</translation>
    </message>
    <message>
        <source>Database error</source>
        <translation>数据库错误</translation>
    </message>
    <message>
        <source>Queue</source>
        <translation>复核队列</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>复核</translation>
    </message>
    <message>
        <source>Pre-check</source>
        <translation>预检</translation>
    </message>
    <message>
        <source>Database: {url}</source>
        <translation>数据库：{url}</translation>
    </message>
    <message>
        <source>Signed in: {who}</source>
        <translation>已登录：{who}</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>界面语言</translation>
    </message>
    <message>
        <source>Open the next recording after a decision</source>
        <translation>做出结论后自动打开下一条录像</translation>
    </message>
    <message>
        <source>Accounts…</source>
        <translation>账号…</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>账号</translation>
    </message>
    <message>
        <source>Change my password…</source>
        <translation>修改我的密码…</translation>
    </message>
    <message>
        <source>Lock the window</source>
        <translation>锁定窗口</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>帮助</translation>
    </message>
    <message>
        <source>Keyboard shortcuts (?)</source>
        <translation>键盘快捷键 (?)</translation>
    </message>
    <message>
        <source>Waiting for the database (another program may be writing to it)…</source>
        <translation>正在等待数据库（可能有其他程序正在写入）…</translation>
    </message>
    <message>
        <source>The language changes the next time the program starts.</source>
        <translation>界面语言将在下次启动程序时切换。</translation>
    </message>
</context>
<context>
    <name>PasswordDialog</name>
    <message>
        <source>Change the password</source>
        <translation>修改密码</translation>
    </message>
    <message>
        <source>An administrator reset your password: choose a new one to go on.</source>
        <translation>管理员已重置你的密码：请设置新密码后继续。</translation>
    </message>
    <message>
        <source>Current password</source>
        <translation>当前密码</translation>
    </message>
    <message>
        <source>New password</source>
        <translation>新密码</translation>
    </message>
    <message>
        <source>Repeat the new password</source>
        <translation>再次输入新密码</translation>
    </message>
    <message>
        <source>The two passwords differ.</source>
        <translation>两次输入的密码不一致。</translation>
    </message>
</context>
<context>
    <name>PrecheckView</name>
    <message>
        <source>Drop the recording here</source>
        <translation>将录像文件拖到这里</translation>
    </message>
    <message>
        <source>Choose a file…</source>
        <translation>选择文件…</translation>
    </message>
    <message>
        <source>Business (when the file does not say):</source>
        <translation>业务类型（文件未注明时）：</translation>
    </message>
    <message>
        <source>from the file&apos;s sidecar</source>
        <translation>来自随附信息文件</translation>
    </message>
    <message>
        <source>set when the window was started</source>
        <translation>启动时指定</translation>
    </message>
    <message>
        <source>chosen in this window</source>
        <translation>在本窗口选择</translation>
    </message>
    <message>
        <source>the default</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>from the folder&apos;s rule</source>
        <translation>来自文件夹规则</translation>
    </message>
    <message>
        <source>Judged as: {name} ({where})</source>
        <translation>按此业务规则评判：{name}（{where}）</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>The video cannot be played</source>
        <translation>无法播放该录像</translation>
    </message>
    <message>
        <source>Choose the recording</source>
        <translation>选择录像</translation>
    </message>
    <message>
        <source>Recordings</source>
        <translation>录像文件</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
    <message>
        <source>Opening the file</source>
        <translation>正在打开文件</translation>
    </message>
    <message>
        <source>Checking the picture and the faces</source>
        <translation>正在检查画面和人脸</translation>
    </message>
    <message>
        <source>Checking the sound</source>
        <translation>正在检查声音</translation>
    </message>
    <message>
        <source>Recognising speech</source>
        <translation>正在识别语音</translation>
    </message>
    <message>
        <source>Checking the script</source>
        <translation>正在核对话术</translation>
    </message>
    <message>
        <source>Applying the rules</source>
        <translation>正在应用业务规则</translation>
    </message>
    <message>
        <source>The pre-check failed</source>
        <translation>预检失败</translation>
    </message>
    <message>
        <source>PASS</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>FAIL</source>
        <translation>不通过</translation>
    </message>
    <message>
        <source>NOT FULLY CHECKED</source>
        <translation>未能全部检查</translation>
    </message>
    <message>
        <source>The recording cannot be checked: {why}</source>
        <translation>该录像无法检查：{why}</translation>
    </message>
    <message>
        <source>Nothing else to fix. Do not count this as a pass.</source>
        <translation>没有其他需要整改的问题。这不能算作通过。</translation>
    </message>
    <message>
        <source>Nothing to fix.</source>
        <translation>没有需要整改的问题。</translation>
    </message>
    <message>
        <source>Nothing that needs a new recording; please note:</source>
        <translation>无需重新录制；请注意：</translation>
    </message>
    <message>
        <source>Please fix these and record again:</source>
        <translation>请按以下提示整改后重新录制：</translation>
    </message>
    <message>
        <source>Note: </source>
        <translation>注意：</translation>
    </message>
</context>
<context>
    <name>PrecheckWindow</name>
    <message>
        <source>Recording pre-check</source>
        <translation>双录预检</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Recording</source>
        <translation>录像</translation>
    </message>
    <message>
        <source>Branch</source>
        <translation>网点</translation>
    </message>
    <message>
        <source>Teller</source>
        <translation>柜员</translation>
    </message>
    <message>
        <source>Business</source>
        <translation>业务</translation>
    </message>
    <message>
        <source>Customer</source>
        <translation>客户</translation>
    </message>
    <message>
        <source>Product</source>
        <translation>产品</translation>
    </message>
    <message>
        <source>Recorded</source>
        <translation>录制时间</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>得分</translation>
    </message>
    <message>
        <source>To watch</source>
        <translation>需观看</translation>
    </message>
    <message>
        <source>Reviewer&apos;s decision</source>
        <translation>复核结论</translation>
    </message>
    <message>
        <source>Assigned to</source>
        <translation>分配给</translation>
    </message>
    <message>
        <source>Being reviewed by</source>
        <translation>正在复核</translation>
    </message>
    <message>
        <source>Appealed</source>
        <translation>申诉中</translation>
    </message>
    <message>
        <source>Needs review</source>
        <translation>需人工复核</translation>
    </message>
    <message>
        <source>Escalated</source>
        <translation>已上报</translation>
    </message>
    <message>
        <source>Awaiting a second senior</source>
        <translation>待第二名高级复核员确认</translation>
    </message>
    <message>
        <source>Re-record</source>
        <translation>需重新录制</translation>
    </message>
    <message>
        <source>Could not audit</source>
        <translation>无法审核</translation>
    </message>
    <message>
        <source>Auto-approved</source>
        <translation>自动通过（抽检）</translation>
    </message>
    <message>
        <source>Reviewed</source>
        <translation>已复核</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>Reject (re-record)</source>
        <translation>退回重录</translation>
    </message>
    <message>
        <source>Escalate</source>
        <translation>上报</translation>
    </message>
    <message>
        <source>The file was replaced after its audit: no decision until it is audited again</source>
        <translation>审核后文件被更换：重新审核前不能做决定</translation>
    </message>
    <message>
        <source>The script must also be listened to (the tool could not check it)</source>
        <translation>还需人工听话术（工具无法核对话术）</translation>
    </message>
    <message>
        <source>File replaced: to re-audit</source>
        <translation>文件已更换，待重新审核</translation>
    </message>
    <message>
        <source>script by ear</source>
        <translation>听话术</translation>
    </message>
</context>
<context>
    <name>QueueView</name>
    <message>
        <source>All dates</source>
        <translation>全部日期</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Last 30 days</source>
        <translation>最近 30 天</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>File name</source>
        <translation>文件名</translation>
    </message>
    <message>
        <source>Business</source>
        <translation>业务</translation>
    </message>
    <message>
        <source>Assigned to me</source>
        <translation>只看分配给我的</translation>
    </message>
    <message>
        <source>Assign selected</source>
        <translation>分配所选</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>复核</translation>
    </message>
    <message>
        <source>(nobody)</source>
        <translation>（不分配）</translation>
    </message>
    <message>
        <source>{a}–{b} of {n} (page {p}/{q})</source>
        <translation>第 {a}–{b} 条，共 {n} 条（第 {p}/{q} 页）</translation>
    </message>
    <message>
        <source>Not assigned</source>
        <translation>未能分配</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Branch</source>
        <translation>网点</translation>
    </message>
    <message>
        <source>Teller</source>
        <translation>柜员</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Score ≤</source>
        <translation>得分 ≤</translation>
    </message>
    <message>
        <source>Assign to</source>
        <translation>分配给</translation>
    </message>
    <message>
        <source>All</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Cannot read the queue</source>
        <translation>无法读取复核队列</translation>
    </message>
    <message>
        <source>To review: {n} recordings, about {m:.1f} minutes to watch</source>
        <translation>待复核：{n} 条录像，需观看约 {m:.1f} 分钟</translation>
    </message>
    <message>
        <source>; in {k} of them the tool could not check the script: listen to it ({t:.1f} minutes)</source>
        <translation>；其中 {k} 条工具无法核对话术，需完整收听（共 {t:.1f} 分钟）</translation>
    </message>
</context>
<context>
    <name>ReasonDialog</name>
    <message>
        <source>Reason (kept in the log):</source>
        <translation>理由（将记入日志）：</translation>
    </message>
</context>
<context>
    <name>ReviewHeader</name>
    <message>
        <source>Open a recording from the queue</source>
        <translation>请从复核队列中打开一条录像</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>得分</translation>
    </message>
    <message>
        <source>Reviewer: {verdict} ({who})</source>
        <translation>复核：{verdict}（{who}）</translation>
    </message>
    <message>
        <source>machine: {decision}</source>
        <translation>机器：{decision}</translation>
    </message>
    <message>
        <source>{who} is reviewing this recording (until {until}): read only.</source>
        <translation>{who} 正在复核这条录像（至 {until}），您只能查看。</translation>
    </message>
    <message>
        <source>Administrators manage accounts; review decisions are read only.</source>
        <translation>管理员负责管理账号；复核结论只能查看。</translation>
    </message>
    <message>
        <source>The tool could not check the script ({why}). Listen to the whole recording for the required stages; the timeline only marks what it could check.</source>
        <translation>工具无法核对话术（{why}）。请完整收听录像，逐项确认必讲环节；时间轴只标出了工具能检查的问题。</translation>
    </message>
    <message>
        <source>Appeal by {who} ({when}): {why}. Decide it: re-record (R) upholds the re-record, approve (A) grants the appeal.</source>
        <translation>{who} 提出申诉（{when}）：{why}。请裁定：退回重录 (R) 维持原决定，通过 (A) 接受申诉。</translation>
    </message>
    <message>
        <source>Approved by {who}, but a mandatory check failed: a second senior reviewer must confirm the approval (four eyes).</source>
        <translation>{who} 已批准通过，但有强制项未通过：须由第二名高级复核员确认（四眼原则）。</translation>
    </message>
    <message>
        <source>Escalated by {who}: a senior reviewer settles it.</source>
        <translation>{who} 已上报：由高级复核员处理。</translation>
    </message>
</context>
<context>
    <name>ReviewView</name>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>One frame back (,)</source>
        <translation>后退一帧 (,)</translation>
    </message>
    <message>
        <source>One frame forward (.)</source>
        <translation>前进一帧 (.)</translation>
    </message>
    <message>
        <source>Playback speed ([ and ])</source>
        <translation>播放速度（[ 和 ]）</translation>
    </message>
    <message>
        <source>Face boxes (O)</source>
        <translation>人脸框 (O)</translation>
    </message>
    <message>
        <source>Script stages</source>
        <translation>话术环节</translation>
    </message>
    <message>
        <source>Transcript</source>
        <translation>语音转写</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>◀ Previous (P)</source>
        <translation>◀ 上一处 (P)</translation>
    </message>
    <message>
        <source>Previous place to watch (P)</source>
        <translation>上一处需观看的片段 (P)</translation>
    </message>
    <message>
        <source>Next (N) ▶</source>
        <translation>下一处 (N) ▶</translation>
    </message>
    <message>
        <source>Next place to watch (N)</source>
        <translation>下一处需观看的片段 (N)</translation>
    </message>
    <message>
        <source>Keys (?)</source>
        <translation>快捷键 (?)</translation>
    </message>
    <message>
        <source>Characters</source>
        <translation>汉字转写</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史记录</translation>
    </message>
    <message>
        <source>next / previous place to watch (2 s early)</source>
        <translation>下一处 / 上一处需观看的片段（提前 2 秒）</translation>
    </message>
    <message>
        <source>Space</source>
        <translation>空格</translation>
    </message>
    <message>
        <source>play / pause</source>
        <translation>播放 / 暂停</translation>
    </message>
    <message>
        <source>one frame back / forward</source>
        <translation>后退 / 前进一帧</translation>
    </message>
    <message>
        <source>slower / faster</source>
        <translation>减速 / 加速</translation>
    </message>
    <message>
        <source>5 s back / forward</source>
        <translation>后退 / 前进 5 秒</translation>
    </message>
    <message>
        <source>zoom the timeline in / out / whole recording</source>
        <translation>时间轴放大 / 缩小 / 显示整段</translation>
    </message>
    <message>
        <source>face boxes on / off</source>
        <translation>显示 / 隐藏人脸框</translation>
    </message>
    <message>
        <source>selected finding: real / false alarm</source>
        <translation>所选问题：属实 / 误报</translation>
    </message>
    <message>
        <source>approve</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>re-record (needs a reason code and text)</source>
        <translation>退回重录（须选原因并写明说明）</translation>
    </message>
    <message>
        <source>escalate to a senior reviewer</source>
        <translation>上报高级复核员</translation>
    </message>
    <message>
        <source>next recording in the queue</source>
        <translation>队列中的下一条录像</translation>
    </message>
    <message>
        <source>show or hide this list</source>
        <translation>显示或隐藏本列表</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>正在加载…</translation>
    </message>
    <message>
        <source>Cannot open the recording</source>
        <translation>无法打开该录像</translation>
    </message>
    <message>
        <source>Looked for: {path}. No decision can be made until the file is back where it was audited; ask the administrator.</source>
        <translation>查找位置：{path}。文件放回审核时的位置之前不能做复核结论；请联系管理员。</translation>
    </message>
    <message>
        <source>The file cannot be opened or decoded (the player says: {why}). No decision can be made on a recording that cannot be played; the next recording (J) skips it.</source>
        <translation>无法打开或解码该录像文件（播放器提示：{why}）。无法播放的录像不能做决定；“下一条录像”（J）将跳过它。</translation>
    </message>
    <message>
        <source>Nothing flagged to watch.</source>
        <translation>没有需要观看的片段。</translation>
    </message>
    <message>
        <source>Watched {n} of {m} places to watch</source>
        <translation>已观看 {n}/{m} 处需观看的片段</translation>
    </message>
    <message>
        <source>The recording&apos;s file cannot be found</source>
        <translation>找不到录像文件</translation>
    </message>
    <message>
        <source>The video cannot be played</source>
        <translation>无法播放该录像</translation>
    </message>
    <message>
        <source>Your claim lapsed and {who} took this recording over.</source>
        <translation>您的占用已过期，{who} 已接手这条录像。</translation>
    </message>
</context>
<context>
    <name>ShortcutOverlay</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Press ? or Esc to close</source>
        <translation>按 ? 或 Esc 关闭</translation>
    </message>
</context>
<context>
    <name>TranscriptPanel</name>
    <message>
        <source>not heard</source>
        <translation>未听到</translation>
    </message>
    <message>
        <source>not checked: listen for it</source>
        <translation>未核对：请人工听</translation>
    </message>
    <message>
        <source>(optional)</source>
        <translation>（可选）</translation>
    </message>
    <message>
        <source>No business profile: no stages</source>
        <translation>没有业务规则，无话术环节</translation>
    </message>
    <message>
        <source>Not heard: {stage}</source>
        <translation>未听到：{stage}</translation>
    </message>
    <message>
        <source>No transcript.</source>
        <translation>没有语音转写。</translation>
    </message>
</context>
</TS>

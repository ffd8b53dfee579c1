<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
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
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>界面语言</translation>
    </message>
    <message>
        <source>Reviewer name…</source>
        <translation>审核人姓名…</translation>
    </message>
    <message>
        <source>The language changes the next time the program starts.</source>
        <translation>界面语言将在下次启动程序时切换。</translation>
    </message>
    <message>
        <source>Reviewer name</source>
        <translation>审核人姓名</translation>
    </message>
    <message>
        <source>Decisions are saved under this name:</source>
        <translation>复核结论将以此姓名保存：</translation>
    </message>
    <message>
        <source>Reviewer: {name}</source>
        <translation>审核人：{name}</translation>
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
        <source>The recording cannot be checked: {why}</source>
        <translation>该录像无法检查：{why}</translation>
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
        <source>Audited</source>
        <translation>审核时间</translation>
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
        <source>Profile</source>
        <translation>业务类型</translation>
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
        <source>Being reviewed by</source>
        <translation>正在复核</translation>
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
        <source>The script must also be listened to (the tool could not check it)</source>
        <translation>还需人工听话术（工具无法核对话术）</translation>
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
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Review</source>
        <translation>复核</translation>
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
        <source>Profile</source>
        <translation>业务类型</translation>
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
    <name>ReviewView</name>
    <message>
        <source>Open a recording from the queue</source>
        <translation>请从复核队列中打开一条录像</translation>
    </message>
    <message>
        <source>◀ Previous finding (P)</source>
        <translation>◀ 上一个问题 (P)</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Next finding (N) ▶</source>
        <translation>下一个问题 (N) ▶</translation>
    </message>
    <message>
        <source>◀ Frame</source>
        <translation>◀ 上一帧</translation>
    </message>
    <message>
        <source>One frame back (,)</source>
        <translation>后退一帧 (,)</translation>
    </message>
    <message>
        <source>Frame ▶</source>
        <translation>下一帧 ▶</translation>
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
        <source>Speed</source>
        <translation>速度</translation>
    </message>
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
        <source>Mark as false alarm</source>
        <translation>标记为误报</translation>
    </message>
    <message>
        <source>Kept to calibrate the checks; it does not change the decision</source>
        <translation>用于日后校准检查项，不影响复核结论</translation>
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
        <source>Decision</source>
        <translation>复核结论</translation>
    </message>
    <message>
        <source>Reviewer</source>
        <translation>审核人</translation>
    </message>
    <message>
        <source>(no reason code)</source>
        <translation>（未选原因）</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Reason text (required to reject)</source>
        <translation>原因说明（退回重录时必填）</translation>
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
        <source>Pause</source>
        <translation>暂停</translation>
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
        <source>Score</source>
        <translation>得分</translation>
    </message>
    <message>
        <source>{who} is reviewing this recording (until {until}): read only.</source>
        <translation>{who} 正在复核这条录像（至 {until}），您只能查看。</translation>
    </message>
    <message>
        <source>The tool could not check the script ({why}). Listen to the whole recording for the required stages; the timeline only marks what it could check.</source>
        <translation>工具无法核对话术（{why}）。请完整收听录像，逐项确认必讲环节；时间轴只标出了工具能检查的问题。</translation>
    </message>
    <message>
        <source>The recording&apos;s file cannot be found</source>
        <translation>找不到录像文件</translation>
    </message>
    <message>
        <source>Looked for: {path}</source>
        <translation>查找位置：{path}</translation>
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
        <source>(false alarm)</source>
        <translation>（误报）</translation>
    </message>
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
    <message>
        <source>Last decision: {verdict} by {who} at {when}</source>
        <translation>上次结论：{verdict}（{who}，{when}）</translation>
    </message>
    <message>
        <source>The video cannot be played</source>
        <translation>无法播放该录像</translation>
    </message>
    <message>
        <source>Not a false alarm</source>
        <translation>取消误报标记</translation>
    </message>
    <message>
        <source>Not saved</source>
        <translation>未保存</translation>
    </message>
    <message>
        <source>Enter your name as the reviewer.</source>
        <translation>请填写审核人姓名。</translation>
    </message>
    <message>
        <source>Choose a reason code.</source>
        <translation>请选择原因。</translation>
    </message>
    <message>
        <source>Rejecting needs a reason text: say what must be re-recorded.</source>
        <translation>退回重录须填写原因说明：请写明需要重录的内容。</translation>
    </message>
    <message>
        <source>Saved: {verdict} by {who} at {when}</source>
        <translation>已保存：{verdict}（{who}，{when}）</translation>
    </message>
    <message>
        <source>The decision was not saved</source>
        <translation>复核结论未保存</translation>
    </message>
    <message>
        <source>Your claim lapsed and {who} took this recording over.</source>
        <translation>您的占用已过期，{who} 已接手这条录像。</translation>
    </message>
</context>
</TS>
